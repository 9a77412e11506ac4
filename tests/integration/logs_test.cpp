// Logs (stderr): a line per connection open and close and per error, naming the user.
#include "parley_test.hpp"

namespace parley::test {
namespace {

using namespace std::chrono_literals;

std::size_t lines_with(const std::string& text, std::initializer_list<std::string_view> needles) {
  std::size_t n = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    bool all = true;
    for (auto needle : needles) all = all && line.find(needle) != std::string_view::npos;
    if (all) ++n;
    pos = end + 1;
  }
  return n;
}

class Logs : public ParleyTest {};

TEST_F(Logs, ConnectionOpenCloseAndErrorsAreLoggedWithTheUser) {
  start_server();
  const auto log = server().log_path();
  const std::string user = "loggeduser_x7";
  const std::size_t before = lines_with(read_file(log), {user});
  EXPECT_EQ(before, 0u);

  auto c = connect(user);
  auto opened = wait_for_file(log, [&](const std::string& t) { return lines_with(t, {user}) >= 1; }, 5s);
  ASSERT_TRUE(opened.has_value()) << "no log line names the user after the connection opened";
  const std::size_t after_open = lines_with(*opened, {user});

  c->send_text("{not json");
  c->expect(error_with("bad_request"), "bad_request");
  auto errored = wait_for_file(
      log, [&](const std::string& t) { return lines_with(t, {user, "bad_request"}) >= 1; }, 5s);
  EXPECT_TRUE(errored.has_value()) << "the error was not logged with the user and its code";

  const std::size_t before_close = lines_with(read_file(log), {user});
  c->close();
  auto closed = wait_for_file(
      log, [&](const std::string& t) { return lines_with(t, {user}) > before_close; }, 5s);
  EXPECT_TRUE(closed.has_value()) << "no log line for the connection closing";
  EXPECT_GE(after_open, 1u);
  // Logs go to stderr only; stdout keeps its single line.
  EXPECT_EQ(server().stdout_text(), server().listening_line() + "\n");
}

}  // namespace
}  // namespace parley::test
