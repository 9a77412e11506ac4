// Real image files for the upload tests, made with libvips (the server sniffs content, so
// the bytes must be a valid image).
#pragma once
#include <string>

namespace parley::test {

// A PNG (or, with jpeg, a JPEG) of width × height pixels.
std::string make_image(int width, int height, bool jpeg = false);

struct ImageSize {
  int width = 0;
  int height = 0;
};
// The size of an encoded image; {0, 0} when libvips cannot read it.
ImageSize image_size(const std::string& bytes);

}  // namespace parley::test
