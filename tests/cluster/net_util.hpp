// Loopback ports for the servers the suite starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace parley::test::cluster {

// A port that was free a moment ago: bind 127.0.0.1:0, read the port, close. The caller
// retries with another one if the server then fails to bind it (see services.cpp).
std::uint16_t free_port();

// True once 127.0.0.1:port accepts a TCP connection; false at the deadline or as soon as
// `alive()` returns false (the server exited). Used only for servers that log no
// ready line (nginx): connecting is the event.
bool wait_port_open(std::uint16_t port, std::chrono::milliseconds timeout,
                    const std::function<bool()>& alive = {});

// True if 127.0.0.1:port refuses connections right now.
bool port_closed(std::uint16_t port);

}  // namespace parley::test::cluster
