// Must NOT compile under `make thread-safety`: a room's state read without its mutex. The
// target checks that clang refuses this file, so a build that silently stopped checking the
// annotations fails.
#include "hub/rooms.hpp"

int64_t unlocked_read(parley::LocalRoom& room) { return room.delivered_seq; }
