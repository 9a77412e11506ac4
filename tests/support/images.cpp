#include "images.hpp"

#include <vips/vips.h>

#include <mutex>
#include <stdexcept>

namespace parley::test {

namespace {
void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("parley-tests") != 0) throw std::runtime_error("libvips does not start");
  });
}
}  // namespace

std::string make_image(int width, int height, bool jpeg) {
  init();
  VipsImage* grey = nullptr;
  // A gradient, so that the file is not trivially small.
  if (vips_xyz(&grey, width, height, nullptr) != 0) throw std::runtime_error(vips_error_buffer());
  VipsImage* band = nullptr;
  vips_extract_band(grey, &band, 0, nullptr);
  g_object_unref(grey);
  VipsImage* pixels = nullptr;
  vips_cast_uchar(band, &pixels, nullptr);
  g_object_unref(band);
  void* out = nullptr;
  size_t len = 0;
  int rc = vips_image_write_to_buffer(pixels, jpeg ? ".jpg" : ".png", &out, &len, nullptr);
  g_object_unref(pixels);
  if (rc != 0) throw std::runtime_error(vips_error_buffer());
  std::string bytes(static_cast<const char*>(out), len);
  g_free(out);
  return bytes;
}

ImageSize image_size(const std::string& bytes) {
  init();
  VipsImage* img = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
  if (!img) {
    vips_error_clear();
    return {};
  }
  ImageSize s{vips_image_get_width(img), vips_image_get_height(img)};
  g_object_unref(img);
  return s;
}

}  // namespace parley::test
