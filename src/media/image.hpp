#pragma once
// Images (libvips): their size in pixels and a thumbnail.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

struct ImageInfo {
  int64_t width = 0;
  int64_t height = 0;
  std::string thumb;       // empty: none made (too many pixels to decode safely)
  std::string thumb_type;  // "image/jpeg" or "image/png"
};

// Reads the image in `bytes` (of sniffed type `type`): its size, and a thumbnail that fits in
// `max_side` × `max_side` pixels, made only when width × height is at most `max_pixels`.
// nullopt when libvips cannot read it as an image.
std::optional<ImageInfo> probe_image(std::string_view bytes, std::string_view type, int max_side, int64_t max_pixels);

}  // namespace parley
