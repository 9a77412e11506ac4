#pragma once
// Web Push for users without an open connection: the payload encrypted to the browser's
// subscription keys (RFC 8291, the aes128gcm content coding of RFC 8188, one record) and the
// application server's identity for the push service (VAPID, RFC 8292: an ES256 JWT).
// OpenSSL does every primitive (P-256 ECDH and ECDSA, HKDF over HMAC-SHA256, AES-128-GCM).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parley::webhooks {

// A P-256 key pair: the raw private scalar (32 bytes) and the uncompressed public point (65).
struct P256Key {
  std::string private_key;
  std::string public_key;
};

// A fresh key pair, or nullopt if OpenSSL fails.
std::optional<P256Key> generate_p256();
// The key pair of a private scalar (32 bytes), or nullopt for a scalar that is not a key.
std::optional<P256Key> p256_from_private(std::string_view scalar);

// The subscription a browser hands out (PushSubscription.toJSON()), keys decoded.
struct PushTarget {
  std::string endpoint;
  std::string p256dh;  // 65 bytes
  std::string auth;    // 16 bytes
};

// The aes128gcm body of `plaintext` for `target`: salt, record size, the sender's public key,
// the ciphertext. `sender` and `salt` are fresh per message unless given (the RFC's test
// vectors give them). nullopt for keys that are not valid.
std::optional<std::string> encrypt_push(const PushTarget& target, std::string_view plaintext,
                                        const P256Key* sender = nullptr, std::string_view salt = {});

// The Authorization header value "vapid t=<JWT>, k=<public key>" for a request to `endpoint`:
// the JWT's aud is the endpoint's origin, exp `expires_s`, sub `subject` (mailto: or https:).
std::string vapid_authorization(const P256Key& vapid, std::string_view endpoint, int64_t expires_s,
                                std::string_view subject);

// base64url without padding (as subscriptions and VAPID keys are written).
std::string b64url(std::string_view bytes);
std::optional<std::string> from_b64url(std::string_view text);

}  // namespace parley::webhooks
