#include "tls_client.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstdio>
#include <stdexcept>

namespace parley::test {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("openssl: ") + what);
}

void write_pem(const std::filesystem::path& path, const std::function<int(FILE*)>& write) {
  FILE* f = std::fopen(path.c_str(), "w");
  check(f != nullptr, "open pem file");
  const int ok = write(f);
  std::fclose(f);
  check(ok == 1, "write pem");
}

// Runs the io_context until `done` or the deadline; throws on the deadline.
void run_until(asio::io_context& ioc, const bool& done, std::chrono::steady_clock::time_point deadline, const char* what) {
  ioc.restart();
  while (!done) {
    if (std::chrono::steady_clock::now() >= deadline || ioc.run_one_until(deadline) == 0) {
      if (!done) throw std::runtime_error(std::string("timed out: ") + what);
    }
  }
}

// Performs one async operation synchronously with a deadline; throws its error.
template <class Start>
void await(asio::io_context& ioc, std::chrono::steady_clock::time_point deadline, const char* what, Start start) {
  bool done = false;
  beast::error_code result;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  run_until(ioc, done, deadline, what);
  if (result) throw std::runtime_error(std::string(what) + ": " + result.message());
}

std::shared_ptr<ssl::context> client_context(const std::filesystem::path& ca) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->load_verify_file(ca.string());
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  return ctx;
}

std::string common_name_of(SSL* ssl) {
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return {};
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, buf, sizeof buf);
  return buf;
}

using Tls = beast::ssl_stream<beast::tcp_stream>;

void connect_tls(asio::io_context& ioc, Tls& stream, std::uint16_t port, std::chrono::steady_clock::time_point deadline) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  await(ioc, deadline, "tcp connect", [&](auto h) { beast::get_lowest_layer(stream).async_connect(ep, h); });
  await(ioc, deadline, "tls handshake", [&](auto h) { stream.async_handshake(ssl::stream_base::client, h); });
}

}  // namespace

CertFiles write_self_signed(const std::filesystem::path& dir, const std::string& stem, const std::string& common_name) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  X509Ptr x(X509_new());
  check(x != nullptr, "X509_new");
  static long serial = 1;
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    check(ext != nullptr, "extension");
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  check(X509_sign(x.get(), key.get(), EVP_sha256()) > 0, "X509_sign");
  CertFiles files{dir / (stem + ".crt"), dir / (stem + ".key")};
  write_pem(files.cert, [&](FILE* f) { return PEM_write_X509(f, x.get()); });
  write_pem(files.key, [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  return files;
}

TlsHttpReply https_get(std::uint16_t port, const std::filesystem::path& ca, const std::string& target,
                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::io_context ioc;
  auto ctx = client_context(ca);
  Tls stream(ioc, *ctx);
  connect_tls(ioc, stream, port, deadline);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  await(ioc, deadline, "https write", [&](auto h) { http::async_write(stream, req, h); });
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  await(ioc, deadline, "https read", [&](auto h) { http::async_read(stream, buf, res, h); });
  return {static_cast<int>(res.result_int()), res.body(), common_name_of(stream.native_handle())};
}

struct WssClient::Impl {
  asio::io_context ioc;
  std::shared_ptr<ssl::context> ctx;
  websocket::stream<Tls> ws;
  beast::flat_buffer in;
  Impl(const std::filesystem::path& ca) : ctx(client_context(ca)), ws(ioc, *ctx) {}
};

WssClient::WssClient(std::uint16_t port, const std::filesystem::path& ca, const std::string& target,
                     std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(ca)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  connect_tls(impl_->ioc, impl_->ws.next_layer(), port, deadline);
  peer_cn_ = common_name_of(impl_->ws.next_layer().native_handle());
  await(impl_->ioc, deadline, "wss upgrade", [&](auto h) { impl_->ws.async_handshake("127.0.0.1", target, h); });
}

WssClient::~WssClient() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

void WssClient::send_text(const std::string& text) {
  impl_->ws.text(true);
  await(impl_->ioc, std::chrono::steady_clock::now() + std::chrono::seconds(10), "wss write",
        [&](auto h) { impl_->ws.async_write(asio::buffer(text), h); });
}

std::string WssClient::read_text(std::chrono::milliseconds timeout) {
  impl_->in.consume(impl_->in.size());
  await(impl_->ioc, std::chrono::steady_clock::now() + timeout, "wss read",
        [&](auto h) { impl_->ws.async_read(impl_->in, h); });
  return beast::buffers_to_string(impl_->in.data());
}

}  // namespace parley::test
