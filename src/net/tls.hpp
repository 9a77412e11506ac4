#pragma once
// TLS for deployments that serve wss:// directly, without a proxy in front.
//
// Holds the server certificate chain and private key (PEM files named in the config) as an
// OpenSSL context. reload() reads the files again — on SIGHUP, after a certificate renewal —
// and swaps the context in only if the new pair loads and matches; connections already open
// keep the context they were accepted with, new ones get the new one.
#include <memory>
#include <mutex>
#include <string>

#include "common/status.hpp"

namespace boost::asio::ssl {
class context;
}

namespace parley {

class TlsConfig {
 public:
  TlsConfig(std::string cert_path, std::string key_path);
  ~TlsConfig();

  // Loads (or loads again) the certificate chain and key; on failure the previous context,
  // if any, stays in use.
  Status reload();
  // The context for a connection being accepted now; null before a successful load.
  std::shared_ptr<boost::asio::ssl::context> current() const;

 private:
  const std::string cert_path_;
  const std::string key_path_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
};

}  // namespace parley
