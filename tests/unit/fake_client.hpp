#pragma once
// A Client that records what the hub sends it, for hub unit tests.
#include <boost/json.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "hub/client.hpp"

namespace parley::testing {

class FakeClient final : public Client {
 public:
  FakeClient(uint64_t id, std::string user) : id_(id), user_(std::move(user)) {}

  void send(Frame frame, Urgency) override {
    std::lock_guard lock(mu_);
    frames_.push_back(boost::json::parse(*frame).as_object());
  }
  void close(uint16_t code, std::string) override {
    std::lock_guard lock(mu_);
    close_code_ = code;
  }
  uint64_t id() const override { return id_; }
  const std::string& user() const override { return user_; }

  // Frames received so far of the given type, oldest first.
  std::vector<boost::json::object> of_type(std::string_view type) const {
    std::lock_guard lock(mu_);
    std::vector<boost::json::object> out;
    for (auto& f : frames_) {
      if (f.at("type").as_string() == type) out.push_back(f);
    }
    return out;
  }
  std::vector<boost::json::object> all() const {
    std::lock_guard lock(mu_);
    return frames_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    frames_.clear();
  }

 private:
  const uint64_t id_;
  const std::string user_;
  mutable std::mutex mu_;
  std::vector<boost::json::object> frames_;
  uint16_t close_code_ = 0;
};

}  // namespace parley::testing
