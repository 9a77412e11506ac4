#include "push_check.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <memory>

#include "jwt.hpp"

namespace parley::test {
namespace {

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string hkdf(std::string_view salt, std::string_view ikm, std::string_view info, std::size_t n) {
  std::string t = hmac(hmac(salt, ikm), std::string(info) + '\x01');
  t.resize(n);
  return t;
}

// A P-256 EVP_PKEY from the public point and, when given, the private scalar.
EVP_PKEY* make_key(std::string_view pub, std::string_view priv) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* d = nullptr;
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
  if (!priv.empty()) {
    d = BN_bin2bn(reinterpret_cast<const unsigned char*>(priv.data()), static_cast<int>(priv.size()), nullptr);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &key, priv.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(d);
  return key;
}

}  // namespace

std::string UaKeys::p256dh_b64() const { return base64url_encode(public_key); }
std::string UaKeys::auth_b64() const { return base64url_encode(auth); }

UaKeys make_ua_keys() {
  UaKeys k;
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  BIGNUM* d = nullptr;
  EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d);
  k.private_key.resize(32);
  BN_bn2binpad(d, reinterpret_cast<unsigned char*>(k.private_key.data()), 32);
  k.public_key.resize(65);
  std::size_t len = 0;
  EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, reinterpret_cast<unsigned char*>(k.public_key.data()),
                                  65, &len);
  BN_free(d);
  EVP_PKEY_free(key);
  k.auth.resize(16);
  RAND_bytes(reinterpret_cast<unsigned char*>(k.auth.data()), 16);
  return k;
}

std::optional<std::string> decrypt_push(std::string_view body, std::string_view ua_private, std::string_view ua_public,
                                        std::string_view auth) {
  if (body.size() < 21) return std::nullopt;
  const std::string_view salt = body.substr(0, 16);
  const std::size_t idlen = static_cast<unsigned char>(body[20]);
  if (body.size() < 21 + idlen + 16) return std::nullopt;
  const std::string_view as_public = body.substr(21, idlen);
  const std::string_view sealed = body.substr(21 + idlen);
  EVP_PKEY* mine = make_key(ua_public, ua_private);
  EVP_PKEY* theirs = make_key(as_public, {});
  std::string shared(32, '\0');
  std::size_t len = shared.size();
  EVP_PKEY_CTX* dctx = mine && theirs ? EVP_PKEY_CTX_new(mine, nullptr) : nullptr;
  const bool derived = dctx && EVP_PKEY_derive_init(dctx) > 0 && EVP_PKEY_derive_set_peer(dctx, theirs) > 0 &&
                       EVP_PKEY_derive(dctx, reinterpret_cast<unsigned char*>(shared.data()), &len) > 0;
  EVP_PKEY_CTX_free(dctx);
  EVP_PKEY_free(mine);
  EVP_PKEY_free(theirs);
  if (!derived) return std::nullopt;
  const std::string info = std::string("WebPush: info", 14) + std::string(ua_public) + std::string(as_public);
  const std::string ikm = hkdf(auth, shared, info, 32);
  const std::string cek = hkdf(salt, ikm, std::string("Content-Encoding: aes128gcm", 28), 16);
  const std::string nonce = hkdf(salt, ikm, std::string("Content-Encoding: nonce", 24), 12);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  std::string out(sealed.size(), '\0');
  int n = 0, tail = 0;
  const std::size_t text = sealed.size() - 16;
  bool ok = EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
            EVP_DecryptInit_ex(c, nullptr, nullptr, reinterpret_cast<const unsigned char*>(cek.data()),
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_DecryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &n,
                              reinterpret_cast<const unsigned char*>(sealed.data()), static_cast<int>(text)) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, const_cast<char*>(sealed.data() + text)) == 1 &&
            EVP_DecryptFinal_ex(c, reinterpret_cast<unsigned char*>(out.data()) + n, &tail) == 1;
  EVP_CIPHER_CTX_free(c);
  if (!ok) return std::nullopt;
  out.resize(static_cast<std::size_t>(n + tail));
  // The last record ends with the delimiter 0x02 after any zero padding.
  while (!out.empty() && out.back() == '\0') out.pop_back();
  if (out.empty() || out.back() != '\x02') return std::nullopt;
  out.pop_back();
  return out;
}

VapidCheck check_vapid(std::string_view authorization) {
  VapidCheck out;
  constexpr std::string_view t = "vapid t=";
  auto k = authorization.find(", k=");
  if (authorization.substr(0, t.size()) != t || k == std::string_view::npos) {
    out.error = "not a vapid t=…, k=… header";
    return out;
  }
  const std::string_view jwt = authorization.substr(t.size(), k - t.size());
  out.public_key = std::string(authorization.substr(k + 4));
  const auto dot2 = jwt.rfind('.');
  const auto dot1 = jwt.find('.');
  if (dot1 == std::string_view::npos || dot2 == dot1) {
    out.error = "malformed JWT";
    return out;
  }
  auto header = boost::json::parse(base64url_decode(jwt.substr(0, dot1))).as_object();
  out.claims = boost::json::parse(base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1))).as_object();
  if (header.at("alg") != "ES256") {
    out.error = "alg is not ES256";
    return out;
  }
  const std::string sig = base64url_decode(jwt.substr(dot2 + 1));
  const std::string pub = base64url_decode(out.public_key);
  if (sig.size() != 64 || pub.size() != 65) {
    out.error = "signature or key of the wrong size";
    return out;
  }
  ECDSA_SIG* es = ECDSA_SIG_new();
  ECDSA_SIG_set0(es, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(es, &der);
  ECDSA_SIG_free(es);
  EVP_PKEY* key = make_key(pub, {});
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const std::string_view input = jwt.substr(0, dot2);
  out.valid = key && der_len > 0 && EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(md, der, static_cast<std::size_t>(der_len),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  if (!out.valid) out.error = "the signature does not verify";
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  OPENSSL_free(der);
  return out;
}

}  // namespace parley::test
