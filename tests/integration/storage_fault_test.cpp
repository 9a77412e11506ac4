// Readiness on storage faults: with the data directory on a small tmpfs the test mounts and
// then fills, writes fail (a full disk), /readyz answers 503 naming the store, nothing acked
// before is lost, and once space is freed /readyz is 200 again and messages are taken. Skipped
// with a message where the test may not mount a file system.
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "conversations.hpp"

namespace parley::test {
namespace {

namespace fs = std::filesystem;

class StorageFault : public ParleyTest {
 protected:
  void SetUp() override {
    ParleyTest::SetUp();
    fs::create_directories(data_dir());
    if (::mount("tmpfs", data_dir().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=6m,mode=0700") != 0) {
      skip_reason_ = std::string("cannot mount a tmpfs here: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  void TearDown() override {
    ParleyTest::TearDown();  // stops parleyd: nothing holds the file system open
    if (mounted_ && ::umount2(data_dir().c_str(), MNT_DETACH) != 0) ADD_FAILURE() << "umount: " << std::strerror(errno);
  }
  // Writes a file until the file system is full; returns its path.
  fs::path fill() {
    const fs::path filler = data_dir() / "filler";
    std::ofstream out(filler, std::ios::binary);
    const std::string chunk(16 * 1024, 'x');
    while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && out.flush()) {
    }
    return filler;
  }
  std::string skip_reason_;
  bool mounted_ = false;
};

TEST_F(StorageFault, AFullDiskMakesTheServerUnreadyLosesNothingAckedAndRecovers) {
  if (!mounted_) GTEST_SKIP() << skip_reason_;
  start_server();
  auto alice = connect("alice");
  join(*alice, "general");
  std::set<std::string> acked;
  for (int i = 0; i < 5; ++i) acked.insert(std::string(send_message(*alice, "general", "before " + std::to_string(i)).at("id").as_string()));
  ASSERT_EQ(http_get(port(), "/readyz").status, 200);

  const fs::path filler = fill();
  // Each commit grows the write-ahead log; with no space left one fails.
  const std::string text(3000, 'f');
  std::string refused;
  for (int i = 0; i < 2000 && refused.empty(); ++i) {
    const std::string id = post_message(*alice, "general", text);
    auto r = alice->expect(has({{"id", id}}), "ack or error");
    if (r.at("type") == "ack") acked.insert(id);
    else refused = std::string(r.at("code").as_string());
  }
  ASSERT_FALSE(refused.empty()) << "no write failed on a full disk";
  auto unready = http_get(port(), "/readyz");
  EXPECT_EQ(unready.status, 503) << unready.body;
  EXPECT_TRUE(unready.json().at("failed").as_object().contains("store")) << unready.body;
  EXPECT_TRUE(alice->is_open()) << "the connection keeps serving";
  EXPECT_EQ(http_get(port(), "/readyz").status, 503) << "still failing: the probe write fails too";

  fs::remove(filler);
  auto ready = http_get(port(), "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  acked.insert(std::string(send_message(*alice, "general", "after").at("id").as_string()));

  auto check = [&](WsClient& c) {
    std::set<std::string> stored;
    for (auto& m : all_messages(c, "general")) stored.insert(std::string(m.at("id").as_string()));
    for (auto& id : acked) EXPECT_TRUE(stored.count(id)) << "acked message " << id << " lost";
  };
  check(*alice);
  restart_server();
  auto again = connect("alice");
  check(*again);
}

}  // namespace
}  // namespace parley::test
