#include "hub/word_filter.hpp"

#include <algorithm>
#include <cctype>

namespace parley {
namespace {

// Letters, digits and any non-ASCII byte make up words (as for search).
bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

WordFilter::WordFilter(std::vector<std::string> words, bool reject) : reject_(reject) {
  for (auto& w : words) {
    std::transform(w.begin(), w.end(), w.begin(), lower);
    if (!w.empty()) words_.push_back(std::move(w));
  }
}

bool WordFilter::apply(std::string& text) const {
  if (words_.empty()) return false;
  bool found = false;
  for (std::size_t i = 0; i < text.size();) {
    if (!word_byte(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && word_byte(text[end])) ++end;
    std::string_view word(text.data() + i, end - i);
    for (auto& w : words_) {
      if (w.size() == word.size() &&
          std::equal(w.begin(), w.end(), word.begin(), [](char a, char b) { return a == lower(b); })) {
        std::fill(text.begin() + static_cast<std::ptrdiff_t>(i), text.begin() + static_cast<std::ptrdiff_t>(end), '*');
        found = true;
        break;
      }
    }
    i = end;
  }
  return found;
}

}  // namespace parley
