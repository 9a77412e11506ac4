#include "net/ip_limit.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace parley {

IpSlot& IpSlot::operator=(IpSlot&& o) noexcept {
  if (this != &o) {
    if (owner_) owner_->release(ip_);
    owner_ = o.owner_;
    ip_ = std::move(o.ip_);
    o.owner_ = nullptr;
  }
  return *this;
}

IpSlot::~IpSlot() {
  if (owner_) owner_->release(ip_);
}

IpSlot IpLimiter::acquire(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto& n = counts_[ip];
  if (max_ > 0 && n >= max_) {
    if (n == 0) counts_.erase(ip);
    return {};
  }
  ++n;
  return IpSlot(this, ip);
}

std::size_t IpLimiter::count(const std::string& ip) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(ip);
  return it == counts_.end() ? 0 : it->second;
}

void IpLimiter::release(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(ip);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

namespace {

// The canonical text of an address, or "" when `text` is not one.
std::string canonical(std::string_view text) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return {};
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_trusted_proxy(const std::string& ip, const std::vector<std::string>& trusted) {
  if (trusted.empty()) return false;
  const std::string c = canonical(ip);
  return !c.empty() && std::any_of(trusted.begin(), trusted.end(), [&](const std::string& t) { return canonical(t) == c; });
}

std::string forwarded_client(std::string_view xff, const std::vector<std::string>& trusted) {
  while (!xff.empty()) {
    auto comma = xff.rfind(',');
    std::string_view item = trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
    xff = comma == std::string_view::npos ? std::string_view{} : xff.substr(0, comma);
    std::string ip = canonical(item);
    if (ip.empty()) return {};  // garbage: trust nothing to its left
    if (!is_trusted_proxy(ip, trusted)) return ip;
  }
  return {};
}

}  // namespace parley
