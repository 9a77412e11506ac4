// The server API's key (docs/api.md → Authentication): no api_keys configured → every
// /api/v1 path is 404 (the API does not exist); a missing or wrong X-Parley-Api-Key → 401
// with a JSON error, before any routing; each configured key works, from flags or the
// environment; keys shorter than 16 characters are refused at start.
#include <boost/json/parse.hpp>

#include "parley_test.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kKey = "k1-5b7a0c2e9d4f61a8";
const std::string kOtherKey = "k2-0f3e8d1c6b5a4972-longer";

class ApiAuth : public ParleyTest {};

TEST_F(ApiAuth, WithoutKeysTheApiIsNotThere) {
  start_server();
  ApiClient api(port(), kKey);
  EXPECT_EQ(api.post("/api/v1/rooms", json::object{{"room", "general"}}).status, 404);
  EXPECT_EQ(api.get("/api/v1/rooms/general/online").status, 404);
  EXPECT_EQ(api.put("/api/v1/rooms/general/members/alice").status, 404);
  EXPECT_EQ(ApiClient(port(), "").get("/api/v1/rooms/general").status, 404);
  // Nothing was created behind the 404.
  auto alice = connect("alice");
  EXPECT_TRUE(welcome_of(*alice).at("rooms").as_array().empty());
}

TEST_F(ApiAuth, MissingOrWrongKeyIs401) {
  start_server({{"--api-keys", kKey + "," + kOtherKey}});
  const std::vector<std::string> wrong = {
      "",                                   // no header at all
      "k1-5b7a0c2e9d4f61a9",                // same length, last character differs
      "k1-5b7a0c2e9d4f61a",                 // a prefix
      kKey + "x",                           // longer
      kKey + "," + kOtherKey,               // the whole configured list
  };
  for (const auto& key : wrong) {
    HttpResponse r = ApiClient(port(), key).post("/api/v1/rooms", json::object{{"room", "general"}});
    SCOPED_TRACE("key '" + key + "'");
    expect_api_error(r, 401, "unauthorized");
  }
  // Refused before routing: an unknown path with a wrong key is 401 too, not 404.
  EXPECT_EQ(ApiClient(port(), "wrong-key-0000000000").get("/api/v1/nothing/here").status, 401);
  // Nothing was created by the refused requests.
  EXPECT_EQ(ApiClient(port(), kKey).get("/api/v1/rooms/general").status, 404);

  // Either configured key works.
  HttpResponse first = ApiClient(port(), kKey).post("/api/v1/rooms", json::object{{"room", "general"}});
  EXPECT_EQ(first.status, 201) << first.body;
  HttpResponse second = ApiClient(port(), kOtherKey).post("/api/v1/rooms", json::object{{"room", "general"}});
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(body_of(second).at("created"), false);
  EXPECT_EQ(http_get(port(), "/healthz").status, 200);
}

TEST_F(ApiAuth, KeysComeFromTheEnvironmentToo) {
  start_server({}, {{"PARLEY_API_KEYS", kOtherKey}});
  EXPECT_EQ(ApiClient(port(), kOtherKey).post("/api/v1/rooms", json::object{{"room", "lobby"}}).status, 201);
  EXPECT_EQ(ApiClient(port(), kKey).post("/api/v1/rooms", json::object{{"room", "lobby"}}).status, 401);
}

TEST_F(ApiAuth, ShortKeysAreRefusedAtStart) {
  RunResult r = run_parleyd({"--port", "0", "--data-dir", (work_dir() / "data").string(), "--api-keys", "short-key"}, {},
                            work_dir(), 10s);
  ASSERT_TRUE(r.status.has_value()) << "parleyd served with a 9-character API key";
  EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->describe();
  EXPECT_NE(r.err.find("api_keys"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("listening"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace parley::test
