#include "net/byte_range.hpp"

#include <charconv>

namespace parley {

namespace {

// Digits only, no sign or space: nullopt for anything else (or an overflow).
std::optional<int64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

RangeAnswer parse_range(std::string_view header, int64_t size, ByteRange& out) {
  header = trim(header);
  constexpr std::string_view unit = "bytes=";
  if (header.size() <= unit.size() || header.substr(0, unit.size()) != unit) return RangeAnswer::whole;
  std::string_view spec = trim(header.substr(unit.size()));
  if (spec.find(',') != std::string_view::npos) return RangeAnswer::whole;  // several: the whole file
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeAnswer::whole;
  std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  if (a.empty()) {
    // The last b bytes.
    auto n = number(b);
    if (!n) return RangeAnswer::whole;
    if (*n == 0 || size == 0) return RangeAnswer::unsatisfiable;
    out = {*n >= size ? 0 : size - *n, size - 1};
    return RangeAnswer::partial;
  }
  auto first = number(a);
  if (!first) return RangeAnswer::whole;
  std::optional<int64_t> last;
  if (!b.empty()) {
    last = number(b);
    if (!last || *last < *first) return RangeAnswer::whole;
  }
  if (*first >= size) return RangeAnswer::unsatisfiable;
  out = {*first, last && *last < size ? *last : size - 1};
  return RangeAnswer::partial;
}

}  // namespace parley
