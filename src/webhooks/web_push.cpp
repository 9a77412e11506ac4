#include "webhooks/web_push.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <cstring>
#include <boost/url/parse.hpp>

namespace parley::webhooks {
namespace {

constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr uint32_t kRecordSize = 4096;

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// HKDF (RFC 5869) with SHA-256, for outputs of at most one block.
std::string hkdf(std::string_view salt, std::string_view ikm, std::string_view info, std::size_t length) {
  const std::string prk = hmac(salt, ikm);
  std::string t = hmac(prk, std::string(info) + '\x01');
  t.resize(length);
  return t;
}

// An EVP_PKEY of P-256 from a public point, and the private scalar when given.
Pkey p256_pkey(std::string_view public_key, std::string_view scalar = {}) {
  std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>> bld(OSSL_PARAM_BLD_new());
  Bn priv;
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, public_key.data(), public_key.size())) {
    return nullptr;
  }
  if (!scalar.empty()) {
    priv.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(scalar.data()), static_cast<int>(scalar.size()), nullptr));
    if (!priv || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get())) return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &out, scalar.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR, params.get()) <= 0) {
    return nullptr;
  }
  Pkey key(out);
  // fromdata takes any 65 bytes: the point must be on the curve.
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

std::optional<std::string> ecdh(const P256Key& mine, std::string_view their_public) {
  Pkey self = p256_pkey(mine.public_key, mine.private_key);
  Pkey peer = p256_pkey(their_public);
  if (!self || !peer) return std::nullopt;
  PkeyCtx ctx(EVP_PKEY_CTX_new(self.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 || EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) <= 0) {
    return std::nullopt;
  }
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &len) <= 0) return std::nullopt;
  secret.resize(len);
  return secret;
}

std::optional<std::string> aes128gcm(std::string_view key, std::string_view nonce, std::string_view plaintext) {
  std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>> ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + 16, '\0');
  int len = 0, tail = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), o, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, o + len + tail) != 1) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(len + tail) + 16);
  return out;
}

// The origin (scheme://host[:port]) of a URL, the audience of a VAPID JWT.
std::string origin_of(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return std::string(url);
  std::string out = std::string(u->scheme()) + "://" + std::string(u->encoded_host());
  if (u->has_port()) out += ":" + std::string(u->port());
  return out;
}

// An ES256 signature as JWS wants it: r and s, 32 bytes each.
std::optional<std::string> es256(const P256Key& key, std::string_view input) {
  Pkey pkey = p256_pkey(key.public_key, key.private_key);
  std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>> md(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!pkey || !md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return std::nullopt;
  }
  std::string der(len, '\0');
  auto* d = reinterpret_cast<unsigned char*>(der.data());
  if (EVP_DigestSign(md.get(), d, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return std::nullopt;
  }
  const unsigned char* p = d;
  std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return std::nullopt;
  std::string raw(64, '\0');
  auto* r = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), r, 32) != 32 || BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), r + 32, 32) != 32) {
    return std::nullopt;
  }
  return raw;
}

}  // namespace

std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), kB64);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> from_b64url(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr, &len,
                        nullptr, kB64) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::optional<P256Key> generate_p256() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return std::nullopt;
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) return std::nullopt;
  Bn priv(d);
  P256Key out{std::string(32, '\0'), std::string(65, '\0')};
  std::size_t len = 0;
  if (BN_bn2binpad(priv.get(), reinterpret_cast<unsigned char*>(out.private_key.data()), 32) != 32 ||
      EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                      reinterpret_cast<unsigned char*>(out.public_key.data()), 65, &len) != 1 ||
      len != 65) {
    return std::nullopt;
  }
  return out;
}

std::optional<P256Key> p256_from_private(std::string_view scalar) {
  if (scalar.size() != 32) return std::nullopt;
  std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  Bn d(BN_bin2bn(reinterpret_cast<const unsigned char*>(scalar.data()), 32, nullptr));
  if (!group || !d || BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) return std::nullopt;
  std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>> q(EC_POINT_new(group.get()));
  P256Key out{std::string(scalar), std::string(65, '\0')};
  if (!q || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED,
                         reinterpret_cast<unsigned char*>(out.public_key.data()), 65, nullptr) != 65) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> encrypt_push(const PushTarget& target, std::string_view plaintext, const P256Key* sender,
                                        std::string_view salt) {
  if (target.p256dh.size() != 65 || target.auth.size() != 16) return std::nullopt;
  std::optional<P256Key> fresh;
  if (!sender) {
    fresh = generate_p256();
    if (!fresh) return std::nullopt;
    sender = &*fresh;
  }
  std::string salt_bytes(salt);
  if (salt_bytes.empty()) {
    salt_bytes.resize(16);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt_bytes.data()), 16) != 1) return std::nullopt;
  }
  auto shared = ecdh(*sender, target.p256dh);
  if (!shared) return std::nullopt;
  // RFC 8291 §3.4: the auth secret and both public keys go into the input keying material.
  const std::string key_info = std::string("WebPush: info", 14) + target.p256dh + sender->public_key;
  const std::string ikm = hkdf(target.auth, *shared, key_info, 32);
  const std::string cek = hkdf(salt_bytes, ikm, std::string("Content-Encoding: aes128gcm", 28), 16);
  const std::string nonce = hkdf(salt_bytes, ikm, std::string("Content-Encoding: nonce", 24), 12);
  // One record: the plaintext and the last record's delimiter, no padding.
  auto sealed = aes128gcm(cek, nonce, std::string(plaintext) + '\x02');
  if (!sealed) return std::nullopt;
  std::string body = salt_bytes;
  for (int shift = 24; shift >= 0; shift -= 8) body += static_cast<char>((kRecordSize >> shift) & 0xff);
  body += static_cast<char>(sender->public_key.size());
  body += sender->public_key;
  body += *sealed;
  return body;
}

std::string vapid_authorization(const P256Key& vapid, std::string_view endpoint, int64_t expires_s,
                                std::string_view subject) {
  const std::string header = b64url(R"({"typ":"JWT","alg":"ES256"})");
  const std::string claims = b64url(boost::json::serialize(
      boost::json::object{{"aud", origin_of(endpoint)}, {"exp", expires_s}, {"sub", subject}}));
  const std::string input = header + "." + claims;
  auto sig = es256(vapid, input);
  return "vapid t=" + input + "." + (sig ? b64url(*sig) : std::string()) + ", k=" + b64url(vapid.public_key);
}

}  // namespace parley::webhooks
