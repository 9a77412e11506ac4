// Runs the real parleyd binary as a child process.
//
// ServerProcess starts parleyd, reads the single stdout line
// `parleyd listening on http://<host>:<port>` to learn the bound port, appends stderr
// to a log file, and can signal, kill -9 and reap it with a deadline. The destructor
// kills a server that is still running. Processes are created from the calling thread
// with PR_SET_PDEATHSIG, so create them from the test's main thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace parley::test {

// Path of the parleyd binary under test: $PARLEYD_BIN if set, else the path the
// test executable was built with (defined by the test executable, see parleyd_path.cpp).
std::string parleyd_path();

struct ExitStatus {
  bool exited = false;  // normal exit (then `code` is meaningful)
  int code = -1;
  int signal = 0;       // terminating signal when !exited
  bool ok() const { return exited && code == 0; }
  std::string describe() const;
};

using EnvVars = std::map<std::string, std::string>;

struct RunResult {
  std::optional<ExitStatus> status;  // nullopt: did not exit before the deadline (it was killed)
  std::string out;
  std::string err;
};

// Runs parleyd to completion (e.g. `--help`). The child's environment is ours without
// any PARLEY_* variable, plus `env`.
RunResult run_parleyd(const std::vector<std::string>& args, const EnvVars& env,
                      const std::filesystem::path& cwd, std::chrono::milliseconds timeout);
// Runs the program at `path` the same way, with `input` on its stdin (at most 64 KiB).
RunResult run_program(const std::string& path, const std::vector<std::string>& args, const EnvVars& env,
                      const std::filesystem::path& cwd, std::chrono::milliseconds timeout, const std::string& input = {});

class ServerProcess {
public:
  struct Options {
    std::vector<std::string> args;
    EnvVars env;                        // added to ours minus PARLEY_*
    std::filesystem::path cwd;          // working directory of the child
    std::filesystem::path log_path;     // stderr is appended here
    std::chrono::milliseconds start_timeout{15000};
  };

  // Starts the server and waits for the listening line; throws std::runtime_error
  // (with the log's tail) if it exits or stays silent past the deadline.
  explicit ServerProcess(Options opts);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }
  const std::string& listening_line() const { return line_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_path() const { return opts_.log_path; }

  void signal(int sig);
  // SIGKILL and reap.
  ExitStatus kill9();
  // Waits for the process to exit; nullopt if it is still running at the deadline.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  // Everything the server printed on stdout so far.
  std::string stdout_text() const;

private:
  void reader_loop(int fd);

  Options opts_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<ExitStatus> status_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_;
  bool out_eof_ = false;
  std::string line_;
  std::string host_;
  std::uint16_t port_ = 0;
};

// Waits (inotify, not polling) until the file's content satisfies `pred`; returns the
// content, or nullopt at the deadline.
std::optional<std::string> wait_for_file(const std::filesystem::path& p,
                                         const std::function<bool(const std::string&)>& pred,
                                         std::chrono::milliseconds timeout);

// Reads a whole file (empty string if it does not exist).
std::string read_file(const std::filesystem::path& p);
// The last `max_bytes` of a file, for failure reports.
std::string tail_file(const std::filesystem::path& p, std::size_t max_bytes = 8192);

}  // namespace parley::test
