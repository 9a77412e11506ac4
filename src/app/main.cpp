// parleyd: the parley chat server.
#include "app/allocator.hpp"
#include "app/node.hpp"
#include "config/options.hpp"

int main(int argc, char** argv) {
  parley::tune_allocator();
  int exit_code = 0;
  auto options = parley::load_options(argc, argv, exit_code);
  if (!options) return exit_code;
  return parley::serve("parleyd", std::move(*options));
}
