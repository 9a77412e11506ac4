#pragma once
// parleyctl's commands: each one a request (or a series of pages) of the server API
// (docs/api.md) and how its answer is shown.
#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>

#include "http.hpp"

namespace parleyctl {

// What a command has to work with.
struct Context {
  const ApiClient& api;
  bool json = false;
  std::ostream& out;
  std::ostream& err;
};

// Exit statuses: 0 done, 1 the server refused (its error printed), 2 a usage error,
// 3 no answer from the server.
inline constexpr int kRefused = 1;
inline constexpr int kUsage = 2;
inline constexpr int kNoAnswer = 3;

// The server answered with an error (already printed).
struct Refused {};

using Action = std::function<void(Context&)>;

// Adds every command to `app`; after app.parse(), `chosen` holds the one to run.
void add_commands(CLI::App& app, Action& chosen);

}  // namespace parleyctl
