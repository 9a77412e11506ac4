#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace parley::test::cluster {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
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

void child_fail(const char* msg) {
  (void)!::write(2, msg, std::strlen(msg));
  (void)!::write(2, "\n", 1);
  ::_exit(127);
}

}  // namespace

std::optional<RunAs> postgres_user_if_root() {
  if (::geteuid() != 0) return std::nullopt;
  struct passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr)
    throw std::runtime_error("running as root and there is no `postgres` user to run PostgreSQL as "
                             "(scripts/cluster-deps.sh installs postgresql-15, which creates it)");
  return RunAs{pw->pw_uid, pw->pw_gid, "postgres"};
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  path += ":/usr/sbin:/sbin:/usr/local/sbin";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string p = dir + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

ChildProcess::ChildProcess(Options opts) : opts_(std::move(opts)) {
  if (opts_.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  const std::string program = find_program(opts_.argv[0]);
  if (program.empty()) throw std::runtime_error("program not found: " + opts_.argv[0]);

  // Everything the child needs is prepared before fork: only async-signal-safe calls after.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (std::size_t i = 1; i < opts_.argv.size(); ++i) argv.push_back(const_cast<char*>(opts_.argv[i].c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    bool overridden = false;
    for (const auto& [k, v] : opts_.env)
      if (kv.starts_with(k + "=")) overridden = true;
    if (!overridden) envs.emplace_back(kv);
  }
  for (const auto& [k, v] : opts_.env) envs.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string dir = opts_.cwd.string();

  int log_fd = ::open(opts_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw_errno("open " + opts_.log_path.string());
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    ::close(log_fd);
    throw_errno("open /dev/null");
  }
  const pid_t parent = ::getpid();
  const std::optional<RunAs> run_as = opts_.run_as;
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::setpgid(0, 0);
    if (run_as) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(run_as->gid) != 0 || ::setuid(run_as->uid) != 0)
        child_fail("cluster test harness: cannot switch user");
    }
    // After the user switch, which clears it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::dup2(devnull, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (::close_range(3, ~0U, 0) != 0)
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) child_fail("cluster test harness: chdir failed");
    ::execve(argv[0], argv.data(), envp.data());
    child_fail("cluster test harness: execve failed");
  }
  ::close(devnull);
  ::close(log_fd);
  ::setpgid(pid, pid);  // also from here, so the group exists before we might signal it
  pid_ = pid;
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

ChildProcess::~ChildProcess() {
  try {
    if (pid_ > 0) kill9();
  } catch (...) {
  }
  if (pidfd_ >= 0) ::close(pidfd_);
}

std::string ChildProcess::describe() const {
  std::string s;
  for (const auto& a : opts_.argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

std::optional<ExitStatus> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = Clock::now() + timeout;
  if (pidfd_ >= 0) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{pidfd_, POLLIN, 0};
      int r = ::poll(&p, 1, left < 0 ? 0 : static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw_errno("poll(pidfd)");
      if (r == 0) return std::nullopt;
      break;
    }
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0)
      if (errno != EINTR) throw_errno("waitpid");
    status_ = decode(st);
    return status_;
  }
  for (;;) {  // no pidfd (old kernel)
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = decode(st);
      return status_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool ChildProcess::running() { return !wait_exit(std::chrono::milliseconds(0)).has_value(); }

void ChildProcess::signal(int sig) {
  if (status_) throw std::runtime_error(describe() + ": already exited (" + status_->describe() + ")");
  if (::kill(pid_, sig) != 0) throw_errno("kill");
}

ExitStatus ChildProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (!status_) {
    ::kill(pid_, sig);
    if (auto st = wait_exit(timeout)) {
      ::kill(-pid_, SIGKILL);  // stragglers left in the group
      return *st;
    }
  }
  return kill9();
}

ExitStatus ChildProcess::kill9() {
  ::kill(-pid_, SIGKILL);  // the group: the process and whatever it forked without leaving it
  if (!status_) ::kill(pid_, SIGKILL);
  auto st = wait_exit(std::chrono::seconds(10));
  if (!st) throw std::runtime_error(describe() + ": survived SIGKILL for 10 s");
  return *st;
}

void run_checked(ChildProcess::Options opts, std::chrono::milliseconds timeout) {
  const std::filesystem::path log = opts.log_path;
  ChildProcess p(std::move(opts));
  auto st = p.wait_exit(timeout);
  if (!st) {
    p.kill9();
    throw std::runtime_error(p.describe() + ": did not finish within " + std::to_string(timeout.count()) +
                             " ms; log:\n" + tail_file(log));
  }
  if (!st->ok())
    throw std::runtime_error(p.describe() + ": " + st->describe() + "; log:\n" + tail_file(log));
}

}  // namespace parley::test::cluster
