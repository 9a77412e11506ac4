#include "net/tls.hpp"

#include <openssl/err.h>

#include <boost/asio/ssl/context.hpp>

namespace parley {
namespace ssl = boost::asio::ssl;

TlsConfig::TlsConfig(std::string cert_path, std::string key_path)
    : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}

TlsConfig::~TlsConfig() = default;

Status TlsConfig::reload() {
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    // TLS 1.2 and 1.3 only; no compression, no renegotiation by the client.
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                     ssl::context::single_dh_use);
    SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    ctx->use_certificate_chain_file(cert_path_);
    ctx->use_private_key_file(key_path_, ssl::context::pem);
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      ERR_clear_error();
      return Status::invalid("tls: the key in " + key_path_ + " does not match the certificate in " + cert_path_);
    }
    std::lock_guard lock(mu_);
    ctx_ = std::move(ctx);
    return Status::ok();
  } catch (const boost::system::system_error& e) {
    ERR_clear_error();
    return Status::invalid("tls: cannot load " + cert_path_ + " / " + key_path_ + ": " + e.code().message());
  }
}

std::shared_ptr<ssl::context> TlsConfig::current() const {
  std::lock_guard lock(mu_);
  return ctx_;
}

}  // namespace parley
