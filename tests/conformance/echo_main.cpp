// parleyd-echo: parleyd with the conformance tests' echo path switched on. The same node, the
// same options and the same WebSocket session code as parleyd; only test builds have it. Every
// message sent to /echo comes back as it came (text or binary), so the RFC 6455 suite
// (tests/conformance/rfc6455.mjs) can check framing, control frames, fragmentation, UTF-8 and
// closing against parley's own read and write paths.
#include "app/node.hpp"
#include "config/options.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto options = parley::load_options(argc, argv, exit_code);
  if (!options) return exit_code;
  options->test_echo_path = "/echo";
  return parley::serve("parleyd-echo", std::move(*options));
}
