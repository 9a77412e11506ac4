// TLS served directly (tls_cert, tls_key): https and wss with a self-signed certificate the
// clients verify, plain HTTP on the TLS port, and the certificate reloaded on SIGHUP.
#include <csignal>
#include <boost/json/parse.hpp>
#include <fstream>

#include "parley_test.hpp"
#include "tls_client.hpp"

namespace parley::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Tls : public ParleyTest {
protected:
  void SetUp() override {
    certs_ = work_dir() / "certs";
    std::filesystem::create_directories(certs_);
    // The files parleyd is configured with; the clients trust `bundle_` (every cert made).
    live_ = {certs_ / "live.crt", certs_ / "live.key"};
    bundle_ = certs_ / "trusted.pem";
    install(make_cert("first", "parley-first"));
  }

  CertFiles make_cert(const std::string& stem, const std::string& cn) {
    CertFiles c = write_self_signed(certs_, stem, cn);
    std::ofstream(bundle_, std::ios::app) << read_file(c.cert);
    return c;
  }
  // Puts `c` in place of the live files, each replaced atomically.
  void install(const CertFiles& c) {
    std::filesystem::copy_file(c.cert, certs_ / "next.crt", std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(c.key, certs_ / "next.key", std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(certs_ / "next.key", live_.key);
    std::filesystem::rename(certs_ / "next.crt", live_.cert);
  }
  void start_tls(Flags extra = {}) {
    extra["--tls-cert"] = live_.cert.string();
    extra["--tls-key"] = live_.key.string();
    start_server(extra);
  }
  // Sends SIGHUP and waits for the server to log the outcome (the n-th such line).
  void reload_and_wait(const std::string& needle, int nth = 1) {
    ASSERT_EQ(::kill(server().pid(), SIGHUP), 0);
    auto log = wait_for_file(
        work_dir() / "parleyd.log",
        [&](const std::string& text) {
          int n = 0;
          for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
          return n >= nth;
        },
        10s);
    ASSERT_TRUE(log.has_value()) << "no '" << needle << "' in the log after SIGHUP";
  }
  std::string wss_target(const std::string& user) { return "/ws?token=" + token(user); }

  std::filesystem::path certs_;
  CertFiles live_;
  std::filesystem::path bundle_;
};

json::object parse_object(const std::string& text) { return boost::json::parse(text).as_object(); }

// Reads until a frame of `type` arrives.
json::object read_type(WssClient& c, std::string_view type) {
  for (;;) {
    json::object o = parse_object(c.read_text());
    if (o.at("type").as_string() == type) return o;
  }
}

TEST_F(Tls, ServesHttpsAndWssWithTheConfiguredCertificate) {
  start_tls();
  EXPECT_TRUE(server().listening_line().starts_with("parleyd listening on https://")) << server().listening_line();
  TlsHttpReply health = https_get(port(), bundle_, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.peer_cn, "parley-first");

  WssClient alice(port(), bundle_, wss_target("alice"));
  EXPECT_EQ(alice.peer_cn(), "parley-first");
  EXPECT_EQ(read_type(alice, "welcome").at("user"), "alice");
  alice.send_text(R"({"type":"join","room":"secure"})");
  read_type(alice, "joined");
}

TEST_F(Tls, WssClientsChatWithEachOther) {
  start_tls();
  WssClient alice(port(), bundle_, wss_target("alice"));
  WssClient bob(port(), bundle_, wss_target("bob"));
  read_type(alice, "welcome");
  read_type(bob, "welcome");
  alice.send_text(R"({"type":"join","room":"secure"})");
  read_type(alice, "joined");
  bob.send_text(R"({"type":"join","room":"secure"})");
  read_type(bob, "joined");
  alice.send_text(R"({"type":"message","room":"secure","id":"t1","text":"over tls"})");
  EXPECT_EQ(read_type(alice, "ack").at("seq"), 1);
  json::object m = read_type(bob, "message");
  EXPECT_EQ(m.at("text"), "over tls");
  EXPECT_EQ(m.at("user"), "alice");
}

TEST_F(Tls, PlainHttpOnTheTlsPortGetsNoAnswerAndTlsClientsAreServed) {
  start_tls();
  RawSocket plain(port());
  EXPECT_EQ(plain.upgrade(wss_target("mallory"), {}, 5s), 0) << plain.response_head();
  EXPECT_TRUE(plain.wait_peer_closed(5s));
  WsClient c("plain-ws");
  ConnectOptions o;
  o.token = token("eve");
  EXPECT_FALSE(try_connect(c, o).upgraded);
  EXPECT_EQ(https_get(port(), bundle_, "/healthz").status, 200);
}

TEST_F(Tls, SighupReloadsTheCertificateAndOpenConnectionsStay) {
  start_tls();
  WssClient before(port(), bundle_, wss_target("alice"));
  read_type(before, "welcome");
  EXPECT_EQ(before.peer_cn(), "parley-first");

  install(make_cert("second", "parley-second"));
  reload_and_wait("TLS certificate reloaded");
  EXPECT_EQ(https_get(port(), bundle_, "/healthz").peer_cn, "parley-second");
  WssClient after(port(), bundle_, wss_target("bob"));
  EXPECT_EQ(after.peer_cn(), "parley-second");

  // The connection opened under the first certificate keeps working.
  before.send_text(R"({"type":"join","room":"renewed"})");
  read_type(before, "joined");
  before.send_text(R"({"type":"message","room":"renewed","id":"r1","text":"still here"})");
  EXPECT_EQ(read_type(before, "ack").at("id"), "r1");
}

TEST_F(Tls, ABrokenCertificateOnReloadKeepsThePreviousOne) {
  start_tls();
  std::ofstream(certs_ / "next.crt") << "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n";
  std::filesystem::rename(certs_ / "next.crt", live_.cert);
  reload_and_wait("the previous certificate stays in use");
  EXPECT_EQ(https_get(port(), bundle_, "/healthz").peer_cn, "parley-first");
  // A key that does not match the certificate is refused the same way.
  CertFiles other = make_cert("other", "parley-other");
  install(make_cert("third", "parley-third"));
  std::filesystem::copy_file(other.key, live_.key, std::filesystem::copy_options::overwrite_existing);
  reload_and_wait("the previous certificate stays in use", 2);
  EXPECT_EQ(https_get(port(), bundle_, "/healthz").peer_cn, "parley-first");
}

TEST_F(Tls, MisconfigurationStopsTheServerWithAClearMessage) {
  RunResult half = run_parleyd({"--port", "0", "--data-dir", (work_dir() / "d1").string(), "--tls-cert", live_.cert.string()},
                               {}, work_dir(), 10s);
  ASSERT_TRUE(half.status.has_value());
  EXPECT_EQ(half.status->code, 2) << half.status->describe();
  EXPECT_NE(half.err.find("tls_cert and tls_key"), std::string::npos) << half.err;

  RunResult missing = run_parleyd({"--port", "0", "--data-dir", (work_dir() / "d2").string(), "--tls-cert",
                                   (certs_ / "nope.crt").string(), "--tls-key", live_.key.string()},
                                  {}, work_dir(), 10s);
  ASSERT_TRUE(missing.status.has_value());
  EXPECT_FALSE(missing.status->ok());
  EXPECT_NE(missing.err.find("nope.crt"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.out.find("listening"), std::string::npos) << missing.out;
}

}  // namespace
}  // namespace parley::test
