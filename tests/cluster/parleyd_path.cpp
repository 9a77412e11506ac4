// The path of the parleyd binary this test executable was built against.
#include <string>

#ifndef PARLEYD_PATH
#error "PARLEYD_PATH must be defined by the build"
#endif

namespace parley::test {
std::string parleyd_path_default() { return PARLEYD_PATH; }
}  // namespace parley::test
