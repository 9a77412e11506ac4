// sync (after) and history (before) pages: ascending order, default limit 50, maximum
// 200, has_more, message fields, and request validation.
#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;

std::vector<std::int64_t> range(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> v;
  for (std::int64_t s = first; s <= last; ++s) v.push_back(s);
  return v;
}

class History : public ParleyTest {
protected:
  static constexpr int kCount = 250;
  void SetUp() override {
    start_server({{"--rate-per-sec", "100000"}, {"--rate-burst", "100000"}});
    alice = connect("alice");
    join(*alice, "general");
    for (int i = 1; i <= kCount; ++i) ids.push_back(post_message(*alice, "general", "text " + std::to_string(i)));
    for (const auto& id : ids) alice->expect(has({{"type", "ack"}, {"id", id}}), "ack");
  }
  std::unique_ptr<WsClient> alice;
  std::vector<std::string> ids;  // ids[seq - 1]
};

TEST_F(History, SyncDefaultLimitIs50) {
  json::object page = sync(*alice, "general", 0);
  EXPECT_EQ(seqs_of(page), range(1, 50));
  EXPECT_EQ(page.at("has_more"), true);
}

TEST_F(History, SyncPagesForwardUntilHasMoreIsFalse) {
  json::object p1 = sync(*alice, "general", 50, 100);
  EXPECT_EQ(seqs_of(p1), range(51, 150));
  EXPECT_EQ(p1.at("has_more"), true);
  json::object p2 = sync(*alice, "general", 150, 100);
  EXPECT_EQ(seqs_of(p2), range(151, 250));
  EXPECT_EQ(p2.at("has_more"), false);
  json::object p3 = sync(*alice, "general", 250, 100);
  EXPECT_TRUE(p3.at("messages").as_array().empty());
  EXPECT_EQ(p3.at("has_more"), false);
  json::object exact = sync(*alice, "general", 200, 50);
  EXPECT_EQ(seqs_of(exact), range(201, 250));
  EXPECT_EQ(exact.at("has_more"), false) << "has_more with nothing newer";
}

TEST_F(History, SyncLimitIsAtMost200) {
  json::object page = sync(*alice, "general", 0, 500);
  EXPECT_EQ(seqs_of(page), range(1, 200));
  EXPECT_EQ(page.at("has_more"), true);
}

TEST_F(History, SyncMessagesCarryEveryField) {
  json::object page = sync(*alice, "general", 9, 1);
  ASSERT_EQ(page.at("messages").as_array().size(), 1u);
  const json::object& m = page.at("messages").as_array()[0].as_object();
  EXPECT_EQ(m.at("seq"), 10);
  EXPECT_EQ(get_str(m, "id"), ids[9]);
  EXPECT_EQ(m.at("user"), "alice");
  EXPECT_EQ(m.at("text"), "text 10");
  json::object live = alice->expect(message_with_id(ids[9]), "the live broadcast");
  EXPECT_EQ(m.at("ts"), live.at("ts"));
}

TEST_F(History, HistoryBeforeGivesThePageJustBelowAscending) {
  json::object page = history(*alice, "general", 100, 50);
  EXPECT_EQ(seqs_of(page), range(50, 99));
  EXPECT_EQ(page.at("has_more"), true);
  json::object oldest = history(*alice, "general", 51, 50);
  EXPECT_EQ(seqs_of(oldest), range(1, 50));
  EXPECT_EQ(oldest.at("has_more"), false) << "has_more with nothing older";
  json::object none = history(*alice, "general", 1, std::nullopt);
  EXPECT_TRUE(none.at("messages").as_array().empty());
  EXPECT_EQ(none.at("has_more"), false);
  json::object short_page = history(*alice, "general", 10, std::nullopt);
  EXPECT_EQ(seqs_of(short_page), range(1, 9));
  EXPECT_EQ(short_page.at("has_more"), false);
}

TEST_F(History, HistoryWithoutBeforeGivesTheNewestPage) {
  json::object page = history(*alice, "general", std::nullopt, std::nullopt);
  EXPECT_EQ(seqs_of(page), range(201, 250));
  EXPECT_EQ(page.at("has_more"), true);
}

TEST_F(History, HistoryLimitIsAtMost200) {
  json::object page = history(*alice, "general", std::nullopt, 1000);
  EXPECT_EQ(seqs_of(page), range(51, 250));
  EXPECT_EQ(page.at("has_more"), true);
}

TEST_F(History, RepliesEchoRef) {
  alice->send_json({{"type", "sync"}, {"room", "general"}, {"after", 0}, {"limit", 1}, {"ref", "s1"}});
  EXPECT_EQ(alice->expect(has({{"type", "history"}, {"ref", "s1"}}), "sync reply").at("messages").as_array().size(), 1u);
  alice->send_json({{"type", "history"}, {"room", "general"}, {"limit", 1}, {"ref", "h1"}});
  EXPECT_EQ(alice->expect(has({{"type", "history"}, {"ref", "h1"}}), "history reply").at("messages").as_array().size(),
            1u);
}

TEST_F(History, InvalidRequestsAreRefused) {
  auto code_for = [&](json::object req, const std::string& ref) {
    req["ref"] = ref;
    alice->send_json(req);
    return get_str(alice->expect(has({{"type", "error"}, {"ref", ref}}), "error for " + ref), "code");
  };
  EXPECT_EQ(code_for({{"type", "sync"}, {"room", "general"}}, "no-after"), "bad_request");
  EXPECT_EQ(code_for({{"type", "sync"}, {"room", "general"}, {"after", "10"}}, "str-after"), "bad_request");
  EXPECT_EQ(code_for({{"type", "sync"}, {"room", "general"}, {"after", -1}}, "neg-after"), "bad_request");
  EXPECT_EQ(code_for({{"type", "sync"}, {"room", "general"}, {"after", 0}, {"limit", "5"}}, "str-limit"),
            "bad_request");
  EXPECT_EQ(code_for({{"type", "history"}, {"room", "general"}, {"before", "x"}}, "str-before"), "bad_request");
  EXPECT_EQ(code_for({{"type", "sync"}, {"room", "elsewhere"}, {"after", 0}}, "non-member-sync"), "forbidden");
  EXPECT_EQ(code_for({{"type", "history"}, {"room", "elsewhere"}}, "non-member-history"), "forbidden");
}

}  // namespace
}  // namespace parley::test
