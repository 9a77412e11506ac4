// A private temporary directory, removed with everything in it when the object dies.
#pragma once

#include <filesystem>
#include <string_view>

namespace parley::test {

class TempDir {
public:
  explicit TempDir(std::string_view prefix = "parley-it-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Leave the directory on disk (for debugging a failed test).
  void keep() { keep_ = true; }

private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace parley::test
