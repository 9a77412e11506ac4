#include "api_client.hpp"

#include <stdexcept>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace parley::test {
namespace json = boost::json;

namespace {
HttpResponse ok_or_throw(HttpResponse r, std::string_view what) {
  if (r.status < 200 || r.status > 299)
    throw std::runtime_error(std::string(what) + ": HTTP " + std::to_string(r.status) + " " + r.error + " " + r.body);
  return r;
}
}  // namespace

HttpResponse ApiClient::request(std::string_view method, std::string_view target, std::string body) const {
  Headers headers{{"Content-Type", "application/json"}};
  if (!key_.empty()) headers.emplace_back("X-Parley-Api-Key", key_);
  return http_request(port_, method, target, std::move(body), headers);
}

HttpResponse ApiClient::post(std::string_view target, const json::value& body) const {
  return request("POST", target, json::serialize(body));
}

void ApiClient::create_room(std::string_view room) const {
  ok_or_throw(post("/api/v1/rooms", json::object{{"room", room}}), "create room " + std::string(room));
}

void ApiClient::add_member(std::string_view room, std::string_view user) const {
  ok_or_throw(put("/api/v1/rooms/" + std::string(room) + "/members/" + std::string(user)),
              "add " + std::string(user) + " to " + std::string(room));
}

json::object ApiClient::publish(std::string_view room, const json::object& body) const {
  return body_of(ok_or_throw(post("/api/v1/rooms/" + std::string(room) + "/messages", body), "publish"));
}

json::object body_of(const HttpResponse& r) {
  json::value v = r.json();
  if (!v.is_object()) throw std::runtime_error("not a JSON object: HTTP " + std::to_string(r.status) + " " + r.body);
  return v.as_object();
}

void expect_api_error(const HttpResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  json::value v = r.json();
  ASSERT_TRUE(v.is_object()) << "not a JSON object: " << r.body;
  const json::object& o = v.as_object();
  ASSERT_TRUE(o.contains("code") && o.at("code").is_string()) << r.body;
  EXPECT_EQ(o.at("code").as_string(), code) << r.body;
  EXPECT_TRUE(o.contains("error") && o.at("error").is_string()) << r.body;
}

}  // namespace parley::test
