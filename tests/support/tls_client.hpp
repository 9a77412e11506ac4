// TLS on the test side: a throwaway self-signed certificate (OpenSSL), and minimal
// https/wss clients that verify the server against it, with deadlines, for the tests of
// parleyd's tls_cert/tls_key and its reload on SIGHUP.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace parley::test {

struct CertFiles {
  std::filesystem::path cert;  // PEM certificate, also the trust anchor for the clients
  std::filesystem::path key;   // PEM private key
};

// Writes <dir>/<stem>.crt and <stem>.key: a P-256 self-signed certificate for 127.0.0.1 and
// localhost whose subject CN is `common_name`.
CertFiles write_self_signed(const std::filesystem::path& dir, const std::string& stem, const std::string& common_name);

struct TlsHttpReply {
  int status = 0;
  std::string body;
  std::string peer_cn;  // the CN of the certificate the server presented
};

// GET `target` over https from 127.0.0.1:port, trusting only `ca`. Throws on any TLS or
// transport error (an untrusted certificate included) or after `timeout`.
TlsHttpReply https_get(std::uint16_t port, const std::filesystem::path& ca, const std::string& target,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A wss:// client: connects, verifies, upgrades; then text frames in and out with deadlines.
class WssClient {
public:
  // Throws on failure (TLS, HTTP status other than 101, deadline).
  WssClient(std::uint16_t port, const std::filesystem::path& ca, const std::string& target,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~WssClient();
  WssClient(const WssClient&) = delete;
  WssClient& operator=(const WssClient&) = delete;

  void send_text(const std::string& text);
  // The next text message; throws at the deadline or when the connection ends.
  std::string read_text(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::string& peer_cn() const { return peer_cn_; }

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string peer_cn_;
};

}  // namespace parley::test
