// libFuzzer target: bytes as an upload's Range header and the file name an upload keeps.
// A partial answer must lie inside the file; a kept name must hold no control character or
// path separator and fit in 255 bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/names.hpp"
#include "net/byte_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (int64_t file : {int64_t{0}, int64_t{1}, int64_t{1001}, int64_t{10} << 20}) {
    parley::ByteRange r;
    if (parley::parse_range(bytes, file, r) == parley::RangeAnswer::partial) {
      if (r.first < 0 || r.first > r.last || r.last >= file) std::abort();
    }
  }
  std::string name = parley::clean_file_name(bytes);
  if (name.empty() || name.size() > 255) std::abort();
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/' || c == '\\') std::abort();
  }
  return 0;
}
