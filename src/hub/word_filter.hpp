#pragma once
// The configurable word filter applied to users' message and edit texts.
#include <string>
#include <string_view>
#include <vector>

namespace parley {

class WordFilter {
 public:
  // `words`: matched as whole words, ignoring ASCII case. `reject`: refuse such texts instead
  // of masking the words with '*'.
  WordFilter(std::vector<std::string> words = {}, bool reject = false);

  bool reject() const { return reject_; }
  // Masks every listed word in `text`; returns true if one was found.
  bool apply(std::string& text) const;

 private:
  std::vector<std::string> words_;  // lower case
  bool reject_;
};

}  // namespace parley
