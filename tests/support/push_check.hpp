#pragma once
// The browser's and the push service's side of Web Push, for tests: opening an aes128gcm body
// with the subscription's private key (RFC 8291 §3.4, RFC 8188), and checking a VAPID
// Authorization header (RFC 8292) against the key it names.
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace parley::test {

// A browser's subscription keys: a fresh P-256 pair (raw scalar, uncompressed point) and a
// 16-byte auth secret, and the base64url forms a PushSubscription gives.
struct UaKeys {
  std::string private_key, public_key, auth;
  std::string p256dh_b64() const;
  std::string auth_b64() const;
};
UaKeys make_ua_keys();

// The plaintext of `body`, or nullopt when it does not open (wrong keys, altered bytes).
std::optional<std::string> decrypt_push(std::string_view body, std::string_view ua_private, std::string_view ua_public,
                                        std::string_view auth);

struct VapidCheck {
  bool valid = false;        // the ES256 signature verifies under the key in k=
  std::string public_key;    // k=, base64url
  boost::json::object claims;
  std::string error;
};
VapidCheck check_vapid(std::string_view authorization);

}  // namespace parley::test
