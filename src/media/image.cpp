#include "media/image.hpp"

#include <vips/vips.h>

#include <memory>
#include <mutex>

namespace parley {

namespace {

void init_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("parleyd") != 0) return;
    vips_concurrency_set(1);  // the caller's thread pool is the concurrency
    vips_cache_set_max(0);    // nothing kept between uploads
    vips_block_untrusted_set(TRUE);  // only the well-fuzzed loaders read uploads
  });
}

struct Unref {
  void operator()(VipsImage* i) const { g_object_unref(i); }
};
using Image = std::unique_ptr<VipsImage, Unref>;

}  // namespace

std::optional<ImageInfo> probe_image(std::string_view bytes, std::string_view type, int max_side, int64_t max_pixels) {
  init_vips();
  VipsImage* raw = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", "access", VIPS_ACCESS_SEQUENTIAL, nullptr);
  if (!raw) {
    vips_error_clear();
    return std::nullopt;
  }
  Image header(raw);
  ImageInfo info;
  info.width = vips_image_get_width(header.get());
  info.height = vips_image_get_height(header.get());
  if (info.width <= 0 || info.height <= 0) return std::nullopt;
  if (info.width * info.height > max_pixels) return info;
  VipsImage* thumb = nullptr;
  if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &thumb, max_side, "height", max_side,
                            "size", VIPS_SIZE_DOWN, nullptr) != 0) {
    vips_error_clear();
    return info;
  }
  Image small(thumb);
  const bool jpeg = type == "image/jpeg";
  void* out = nullptr;
  size_t len = 0;
  if (vips_image_write_to_buffer(small.get(), jpeg ? ".jpg" : ".png", &out, &len, nullptr) != 0) {
    vips_error_clear();
    return info;
  }
  info.thumb.assign(static_cast<const char*>(out), len);
  g_free(out);
  info.thumb_type = jpeg ? "image/jpeg" : "image/png";
  return info;
}

}  // namespace parley
