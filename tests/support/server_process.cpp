#include "server_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace parley::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

std::vector<std::string> child_env(const EnvVars& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("PARLEY_")) continue;
    bool overridden = false;
    for (const auto& [k, v] : extra)
      if (kv.starts_with(k + "=")) overridden = true;
    if (!overridden) out.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

struct Spawned {
  pid_t pid = -1;
  int pidfd = -1;
};

// fork + exec; only async-signal-safe calls between the two.
Spawned spawn(const std::string& path, const std::vector<std::string>& args, const EnvVars& env,
              const std::filesystem::path& cwd, int out_fd, int err_fd, int in_fd = -1) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::vector<std::string> envs = child_env(env);
  std::vector<char*> envp;
  for (const auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string dir = cwd.string();

  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) throw_errno("open /dev/null");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::dup2(in_fd >= 0 ? in_fd : devnull, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (::close_range(3, ~0U, 0) != 0)
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) {
      static const char msg[] = "test harness: chdir failed\n";
      (void)!::write(2, msg, sizeof msg - 1);
      ::_exit(127);
    }
    ::execve(argv[0], argv.data(), envp.data());
    static const char msg[] = "test harness: execve failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(devnull);
  Spawned s;
  s.pid = pid;
  s.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return s;
}

ExitStatus decode(int st) {
  ExitStatus s;
  if (WIFEXITED(st)) {
    s.exited = true;
    s.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    s.signal = WTERMSIG(st);
  }
  return s;
}

// Waits for `pid` to exit until `deadline`; reaps it.
std::optional<ExitStatus> wait_pid(pid_t pid, int pidfd, Clock::time_point deadline) {
  if (pidfd >= 0) {
    for (;;) {
      pollfd p{pidfd, POLLIN, 0};
      int r = ::poll(&p, 1, remaining_ms(deadline));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw_errno("poll(pidfd)");
      if (r == 0) return std::nullopt;
      break;
    }
  } else {
    // No pidfd (old kernel): poll waitpid.
    for (;;) {
      int st = 0;
      pid_t r = ::waitpid(pid, &st, WNOHANG);
      if (r == pid) return decode(st);
      if (r < 0 && errno != EINTR) throw_errno("waitpid");
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  return decode(st);
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal != 0) return std::string("killed by signal ") + ::strsignal(signal);
  return "not exited";
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_file(const std::filesystem::path& p, std::size_t max_bytes) {
  std::string all = read_file(p);
  if (all.size() <= max_bytes) return all;
  return "[...]\n" + all.substr(all.size() - max_bytes);
}

std::optional<std::string> wait_for_file(const std::filesystem::path& p,
                                         const std::function<bool(const std::string&)>& pred,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int ifd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0) throw_errno("inotify_init1");
  // Watch the directory: the file may not exist yet.
  ::inotify_add_watch(ifd, p.parent_path().c_str(), IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
  std::optional<std::string> result;
  for (;;) {
    std::string content = read_file(p);
    if (pred(content)) {
      result = std::move(content);
      break;
    }
    pollfd pfd{ifd, POLLIN, 0};
    int r = ::poll(&pfd, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      content = read_file(p);
      if (pred(content)) result = std::move(content);
      break;
    }
    char buf[4096];
    while (::read(ifd, buf, sizeof buf) > 0) {
    }
  }
  ::close(ifd);
  return result;
}

RunResult run_parleyd(const std::vector<std::string>& args, const EnvVars& env,
                      const std::filesystem::path& cwd, std::chrono::milliseconds timeout) {
  return run_program(parleyd_path(), args, env, cwd, timeout);
}

RunResult run_program(const std::string& path, const std::vector<std::string>& args, const EnvVars& env,
                      const std::filesystem::path& cwd, std::chrono::milliseconds timeout, const std::string& input) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  Spawned child = spawn(path, args, env, cwd, out_pipe[1], err_pipe[1], in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(in_pipe[0]);
  // The input fits the pipe's buffer (64 KiB): written at once, then end of file.
  if (!input.empty() && ::write(in_pipe[1], input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    throw_errno("write stdin");
  }
  ::close(in_pipe[1]);

  const auto deadline = Clock::now() + timeout;
  RunResult res;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&res.out, &res.err};
  int open_fds = 2;
  while (open_fds > 0) {
    int r = ::poll(fds, 2, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // deadline
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  res.status = wait_pid(child.pid, child.pidfd, deadline);
  if (!res.status) {
    ::kill(child.pid, SIGKILL);
    wait_pid(child.pid, child.pidfd, Clock::now() + std::chrono::seconds(10));
  }
  if (child.pidfd >= 0) ::close(child.pidfd);
  return res;
}

ServerProcess::ServerProcess(Options opts) : opts_(std::move(opts)) {
  int err_fd = ::open(opts_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) throw_errno("open " + opts_.log_path.string());
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(err_fd);
    throw_errno("pipe2");
  }
  Spawned child;
  try {
    child = spawn(parleyd_path(), opts_.args, opts_.env, opts_.cwd, out_pipe[1], err_fd);
  } catch (...) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_fd);
    throw;
  }
  ::close(out_pipe[1]);
  ::close(err_fd);
  pid_ = child.pid;
  pidfd_ = child.pidfd;
  reader_ = std::thread([this, fd = out_pipe[0]] { reader_loop(fd); });

  std::string failure;
  {
    std::unique_lock lk(mu_);
    const bool got = cv_.wait_for(lk, opts_.start_timeout,
                                  [&] { return out_.find('\n') != std::string::npos || out_eof_; });
    if (!got) {
      failure = "parleyd printed no listening line within " + std::to_string(opts_.start_timeout.count()) + " ms";
    } else if (out_.find('\n') == std::string::npos) {
      failure = "parleyd closed stdout without a listening line";
    } else {
      line_ = out_.substr(0, out_.find('\n'));
      // http:// or, with TLS configured, https://
      const std::string_view prefix = line_.starts_with("parleyd listening on https://")
                                          ? "parleyd listening on https://"
                                          : "parleyd listening on http://";
      const auto colon = line_.rfind(':');
      if (!line_.starts_with(prefix) || colon == std::string::npos || colon < prefix.size()) {
        failure = "unexpected first stdout line: '" + line_ + "'";
      } else {
        host_ = line_.substr(prefix.size(), colon - prefix.size());
        const std::string digits = line_.substr(colon + 1);
        char* end = nullptr;
        const long p = std::strtol(digits.c_str(), &end, 10);
        if (digits.empty() || *end != '\0' || p <= 0 || p > 65535)
          failure = "bad port in listening line: '" + line_ + "'";
        else
          port_ = static_cast<std::uint16_t>(p);
      }
    }
  }
  if (!failure.empty()) {
    if (running()) kill9();
    else wait_exit(std::chrono::seconds(1));
    std::string exit = status_ ? status_->describe() : "still running";
    if (!status_) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds(10));
    }
    if (reader_.joinable()) reader_.join();  // the constructor throws: no destructor runs
    if (pidfd_ >= 0) ::close(pidfd_);
    throw std::runtime_error(failure + " (" + exit + "); stderr log " + opts_.log_path.string() + ":\n" +
                             tail_file(opts_.log_path));
  }
}

ServerProcess::~ServerProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    try {
      wait_exit(std::chrono::seconds(10));
    } catch (...) {
    }
  }
  if (reader_.joinable()) reader_.join();
  if (pidfd_ >= 0) ::close(pidfd_);
}

void ServerProcess::reader_loop(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lk(mu_);
    if (n <= 0) {
      out_eof_ = true;
      cv_.notify_all();
      break;
    }
    out_.append(buf, static_cast<std::size_t>(n));
    cv_.notify_all();
  }
  ::close(fd);
}

void ServerProcess::signal(int sig) {
  if (status_) throw std::runtime_error("signal: parleyd already exited (" + status_->describe() + ")");
  if (::kill(pid_, sig) != 0) throw_errno("kill");
}

ExitStatus ServerProcess::kill9() {
  if (!status_) ::kill(pid_, SIGKILL);
  auto st = wait_exit(std::chrono::seconds(10));
  if (!st) throw std::runtime_error("parleyd survived SIGKILL for 10 s");
  return *st;
}

std::optional<ExitStatus> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  status_ = wait_pid(pid_, pidfd_, Clock::now() + timeout);
  return status_;
}

bool ServerProcess::running() { return !wait_exit(std::chrono::milliseconds(0)).has_value(); }

std::string ServerProcess::stdout_text() const {
  std::lock_guard lk(mu_);
  return out_;
}

std::string parleyd_path_default();  // defined by the test executable

std::string parleyd_path() {
  if (const char* p = std::getenv("PARLEYD_BIN"); p != nullptr && *p != '\0') return p;
  return parleyd_path_default();
}

}  // namespace parley::test
