// parleyd: the parley chat server.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/allocator.hpp"
#include "app/node.hpp"
#include "config/options.hpp"

int main(int argc, char** argv) {
  parley::tune_allocator();
  int exit_code = 0;
  auto options = parley::load_options(argc, argv, exit_code);
  if (!options) return exit_code;

  auto logger = spdlog::stderr_color_mt("parleyd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(options->log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  parley::Node node(std::move(*options));
  if (auto s = node.start(); !s.is_ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  node.run();
  return 0;
}
