#pragma once
// Reading an event's JSON object leniently, for both codecs: a missing or mistyped field
// reads as its default (a later or earlier version may lack it or carry another type).
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace parley::bus_codec {

struct JsonFields {
  const boost::json::object& o;

  std::string text(std::string_view key) const {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }
  int64_t number(std::string_view key) const {
    auto* v = o.if_contains(key);
    if (v && v->is_int64()) return v->as_int64();
    return v && v->is_uint64() ? static_cast<int64_t>(v->as_uint64()) : 0;
  }
  bool flag(std::string_view key) const {
    auto* v = o.if_contains(key);
    return v && v->is_bool() && v->as_bool();
  }
  std::vector<std::string> list(std::string_view key) const {
    std::vector<std::string> out;
    if (auto* v = o.if_contains(key); v && v->is_array()) {
      for (auto& s : v->as_array()) {
        if (s.is_string()) out.emplace_back(s.as_string());
      }
    }
    return out;
  }
  // The objects of an array field (others skipped).
  std::vector<const boost::json::object*> objects(std::string_view key) const {
    std::vector<const boost::json::object*> out;
    if (auto* v = o.if_contains(key); v && v->is_array()) {
      for (auto& x : v->as_array()) {
        if (x.is_object()) out.push_back(&x.as_object());
      }
    }
    return out;
  }
  // A small stored enum; out of range reads as its first value.
  template <class Enum>
  Enum small(std::string_view key, int max) const {
    int64_t n = number(key);
    return static_cast<Enum>(n < 0 || n > max ? 0 : n);
  }
};

}  // namespace parley::bus_codec
