#pragma once
// parley-bench helpers with no connection state: the latency histogram, HS256 token minting,
// loopback checks and the server's RSS from /proc.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/ip/address.hpp>
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

// ---------------------------------------------------------------- histogram (log-linear, ~1.6 %)
struct Histogram {
  static constexpr int kSub = 64;  // linear sub-buckets per power of two
  std::vector<uint64_t> counts = std::vector<uint64_t>(kSub * 2 + 64 * kSub, 0);
  uint64_t total = 0, max = 0, min = UINT64_MAX;
  long double sum = 0;

  static size_t index(uint64_t v) {
    if (v < 2 * kSub) return v;
    int e = std::bit_width(v) - 1;  // >= 7
    uint64_t top = v >> (e - 6);    // [64, 128)
    return 2 * kSub + size_t(e - 7) * kSub + size_t(top - kSub);
  }
  static uint64_t upper(size_t i) {
    if (i < 2 * kSub) return i;
    size_t k = i - 2 * kSub;
    int e = int(k / kSub) + 7;
    uint64_t top = kSub + k % kSub;
    return ((top + 1) << (e - 6)) - 1;
  }
  void record(int64_t v) {
    uint64_t u = v < 0 ? 0 : uint64_t(v);
    size_t i = index(u);
    if (i >= counts.size()) i = counts.size() - 1;
    ++counts[i];
    ++total;
    sum += u;
    if (u > max) max = u;
    if (u < min) min = u;
  }
  void merge(const Histogram& o) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
    total += o.total;
    sum += o.sum;
    max = std::max(max, o.max);
    min = std::min(min, o.min);
  }
  uint64_t percentile(double p) const {
    if (total == 0) return 0;
    uint64_t want = uint64_t(p / 100.0 * double(total));
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      seen += counts[i];
      if (seen >= want) return std::min(upper(i), max);
    }
    return max;
  }
};

// ---------------------------------------------------------------- JWT (HS256)
inline std::string b64url(const unsigned char* d, size_t n) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += t[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = d[i] << 16;
    out += t[v >> 18], out += t[(v >> 12) & 63];
  } else if (n - i == 2) {
    uint32_t v = (d[i] << 16) | (d[i + 1] << 8);
    out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63];
  }
  return out;
}
inline std::string b64url(const std::string& s) { return b64url((const unsigned char*)s.data(), s.size()); }

inline std::string mint_jwt(const std::string& secret, const std::string& user, int64_t ttl_s) {
  int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count() + ttl_s;
  std::string input = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." +
                      b64url("{\"sub\":\"" + user + "\",\"exp\":" + std::to_string(exp) + "}");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), int(secret.size()), (const unsigned char*)input.data(), input.size(),
       mac, &len);
  return input + "." + b64url(mac, len);
}

inline bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(host, ec);
  if (ec) return false;
  return a.is_loopback();
}

inline long read_rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}


// CPU time (user + system) a process has used so far, in seconds; -1 if it is gone.
// pid 0 = this process.
inline double read_cpu_s(int pid) {
  std::ifstream f(pid ? "/proc/" + std::to_string(pid) + "/stat" : std::string("/proc/self/stat"));
  std::string s;
  if (!std::getline(f, s)) return -1;
  auto rp = s.rfind(')');  // the command name may hold spaces
  if (rp == std::string::npos) return -1;
  const char* p = s.c_str() + rp + 2;  // field 3 (state)
  char* end = nullptr;
  unsigned long long v[13] = {};
  for (int field = 3; field <= 15; ++field) {
    while (*p == ' ') ++p;
    if (field == 3) {
      ++p;
      continue;
    }
    v[field - 3] = std::strtoull(p, &end, 10);
    p = end;
  }
  static const long hz = ::sysconf(_SC_CLK_TCK);
  return double(v[11] + v[12]) / double(hz);  // utime (14) + stime (15)
}
