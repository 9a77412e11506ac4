#pragma once
// HTTP byte ranges (RFC 9110 §14): the one range of a `Range: bytes=…` header that parley
// serves. Pure, unit-tested and fuzzed.
#include <cstdint>
#include <optional>
#include <string_view>

namespace parley {

struct ByteRange {
  int64_t first = 0;  // inclusive
  int64_t last = 0;   // inclusive
  int64_t length() const { return last - first + 1; }
};

enum class RangeAnswer : uint8_t {
  whole,          // no Range, or one parley does not serve (not bytes, several ranges, malformed): 200
  partial,        // the one satisfiable range: 206
  unsatisfiable,  // a well-formed range past the end: 416
};

// The answer to `header` (the Range field's value, empty when absent) for a file of `size`
// bytes, and the range when partial.
RangeAnswer parse_range(std::string_view header, int64_t size, ByteRange& out);

}  // namespace parley
