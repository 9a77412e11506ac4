// A child process for the servers the cluster suite runs next to parleyd: redis-server,
// postgres, initdb, nginx.
//
// The child runs in its own process group, optionally as another user (PostgreSQL refuses
// to run as root: as root the suite runs it as the `postgres` system user), with stdout and
// stderr appended to a log file, and dies with the test process (PR_SET_PDEATHSIG, set after
// the user switch, which would clear it). Waiting uses a pidfd, never a sleep. The destructor
// kills the whole group with SIGKILL if it is still running.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "server_process.hpp"  // ExitStatus

namespace parley::test::cluster {

struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

// The `postgres` system user when running as root (nullopt when not root: run as ourselves).
// Throws if we are root and no such user exists.
std::optional<RunAs> postgres_user_if_root();

class ChildProcess {
public:
  struct Options {
    std::vector<std::string> argv;          // argv[0] is the program (absolute path or in PATH)
    std::map<std::string, std::string> env; // added to (and overriding) our environment
    std::filesystem::path cwd;              // empty: ours
    std::filesystem::path log_path;         // stdout and stderr are appended here
    std::optional<RunAs> run_as;
  };

  explicit ChildProcess(Options opts);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_; }  // readable once the process has exited (-1: none)
  const std::filesystem::path& log_path() const { return opts_.log_path; }
  std::string describe() const;  // the command line

  bool running();
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
  // Sends `sig` to the process (not its group).
  void signal(int sig);
  // Sends `sig` and waits up to `timeout`; then SIGKILL to the group. Returns the status.
  ExitStatus stop(int sig, std::chrono::milliseconds timeout);
  // SIGKILL to the whole process group, and reap.
  ExitStatus kill9();

private:
  Options opts_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<ExitStatus> status_;
};

// Runs a command to completion (output to `opts.log_path`); throws with the log's tail if it
// does not exit 0 within `timeout`.
void run_checked(ChildProcess::Options opts, std::chrono::milliseconds timeout);

// Finds an executable: `name` in PATH, then in /usr/sbin and /sbin. Empty if not found.
std::string find_program(const std::string& name);

}  // namespace parley::test::cluster
