#pragma once
// Concurrent connections per client address, so that one address cannot take every
// descriptor of the server (a connection flood). A connection holds an IpSlot from accept
// (or, behind a trusted proxy, from the upgrade) until it closes.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley {

class IpLimiter;

// Move-only; gives its address's place back when destroyed. An empty slot holds nothing.
class IpSlot {
 public:
  IpSlot() = default;
  IpSlot(IpSlot&& o) noexcept : owner_(o.owner_), ip_(std::move(o.ip_)) { o.owner_ = nullptr; }
  IpSlot& operator=(IpSlot&& o) noexcept;
  IpSlot(const IpSlot&) = delete;
  IpSlot& operator=(const IpSlot&) = delete;
  ~IpSlot();
  bool held() const { return owner_ != nullptr; }

 private:
  friend class IpLimiter;
  IpSlot(IpLimiter* owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
  IpLimiter* owner_ = nullptr;
  std::string ip_;
};

class IpLimiter {
 public:
  explicit IpLimiter(std::size_t max_per_ip) : max_(max_per_ip) {}
  // A slot for `ip`, or an empty one (held() false) when the address is at its limit.
  // A limit of 0 means unlimited; every call then returns a held slot.
  IpSlot acquire(const std::string& ip);
  std::size_t count(const std::string& ip) const;

 private:
  friend class IpSlot;
  void release(const std::string& ip);
  const std::size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::size_t> counts_;
};

// Behind a trusted proxy the TCP peer is the proxy: the client is the rightmost address of
// X-Forwarded-For that is not itself a trusted proxy. Returns it, or "" when there is no
// usable one (the connection is then not limited by address).
std::string forwarded_client(std::string_view x_forwarded_for, const std::vector<std::string>& trusted);

// Whether `ip` (as asio prints it; IPv4-mapped IPv6 counts as IPv4) is in `trusted`.
bool is_trusted_proxy(const std::string& ip, const std::vector<std::string>& trusted);

}  // namespace parley
