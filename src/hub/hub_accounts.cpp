// Accounts: the standing of users (revoked tokens, disabled and deleted users), checked on
// every upgrade and reauth, changed by the backend.
#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "hub/hub.hpp"
#include "hub/rules.hpp"

namespace parley {
namespace {

Status backend_only() { return Status::forbidden("only the backend manages users"); }

// What a token of a user in standing `a`, signed with version `ver`, is told.
Status token_verdict(const UserAccess& a, int64_t ver) {
  if (a.deleted) return Status::forbidden("account deleted");
  if (a.disabled) return Status::forbidden("account disabled");
  if (ver < a.token_version) return Status::unauthorized("token revoked");
  if (a.token_revoked) return Status::unauthorized("token logged out");
  return Status::ok();
}

}  // namespace

void Hub::check_token(const std::string& user, int64_t ver, const std::string& token_id, Done<UserAccess> done) {
  store_.access_of(user, token_id, on_lane<UserAccess>(user, [ver, done](Result<UserAccess> r) {
    if (!r.ok()) return done(r.status);
    if (auto verdict = token_verdict(r.value, ver); !verdict.is_ok()) return done(verdict);
    done(std::move(r.value));
  }));
}

void Hub::logout(const Actor& a, std::string token_id, int64_t expires_s, Done<Ok> done) {
  if (a.is_backend()) return done(Status::forbidden("a user logs out their own token"));
  if (token_id.empty()) return done(Status::invalid("no token id"));
  const std::string user = a.user;
  store_.revoke_token(user, token_id, expires_s, on_lane<bool>(user, [this, user, token_id, done](Result<bool> r) {
    if (!r.ok()) return done(r.status);
    spdlog::info("user {} logged a token out", user);
    emit(UserEvent{user, AccessChanged{0, false, token_id}, {}, 0, false});
    done(Ok{});
  }));
}

void Hub::push_subscription(const Actor& a, PushSubscription sub, bool on, Done<Ok> done) {
  if (a.is_backend()) return done(hub_rules::users_only());
  if (on && !valid_push_keys(sub.endpoint, sub.p256dh, sub.auth)) {
    return done(Status::invalid("a push subscription needs an http(s) endpoint, p256dh (87) and auth (22) in base64url"));
  }
  auto stored = on_lane<bool>(a.user, [done](Result<bool> r) {
    if (!r.ok()) return done(r.status);
    done(Ok{});
  });
  if (on) return store_.save_push_subscription(a.user, std::move(sub), std::move(stored));
  store_.drop_push_subscription(a.user, std::move(sub.endpoint), std::move(stored));
}

void Hub::user_access(const Actor& a, std::string user, Done<UserAccess> done) {
  if (!a.is_backend()) return done(backend_only());
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  const std::string key = user;
  store_.access_of(std::move(user), {}, on_lane<UserAccess>(key, [done](Result<UserAccess> r) { done(std::move(r)); }));
}

void Hub::create_user(const Actor& a, std::string user, std::string password_hash, Done<UserAccess> done) {
  if (!a.is_backend()) return done(backend_only());
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  const std::string key = user;
  store_.create_user(user, std::move(password_hash), on_lane<bool>(key, [this, user, done](Result<bool> r) {
    if (!r.ok()) return done(r.status);
    spdlog::info("api: user {} created", user);
    store_.access_of(user, {}, on_lane<UserAccess>(user, [done](Result<UserAccess> a) { done(std::move(a)); }));
  }));
}

void Hub::change_access(const Actor& a, std::string user, AccessChange change, Done<UserAccess> done) {
  if (!a.is_backend()) return done(backend_only());
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  const std::string key = user;
  store_.change_access(user, change, on_lane<UserAccess>(key, [this, user, change, done](Result<UserAccess> r) {
    if (!r.ok()) return done(r.status);
    static constexpr const char* kWhat[] = {"tokens revoked", "disabled", "enabled"};
    spdlog::info("api: user {} {}", user, kWhat[static_cast<int>(change)]);
    if (change != AccessChange::enable) {
      emit(UserEvent{user, AccessChanged{r.value.token_version, r.value.disabled}, {}, 0, false});
    }
    done(std::move(r.value));
  }));
}

void Hub::change_password(const Actor& a, std::string password_hash, Done<UserAccess> done) {
  if (a.is_backend()) return done(Status::forbidden("a user changes their own password"));
  const std::string user = a.user;
  store_.change_password(user, std::move(password_hash), on_lane<UserAccess>(user, [this, user, done](Result<UserAccess> r) {
    if (!r.ok()) return done(r.status);
    spdlog::info("user {} changed their password; earlier tokens revoked", user);
    emit(UserEvent{user, AccessChanged{r.value.token_version, false}, {}, 0, false});
    done(std::move(r.value));
  }));
}

void Hub::export_data(const Actor& a, std::string user, std::string after, int limit, Done<UserExport> done) {
  if (!a.is_backend() && a.user != user) return done(Status::forbidden("a user exports their own data"));
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  if (limit < 1 || limit > kExportPage) return done(Status::invalid("limit is 1 to 500"));
  const std::string key = user;
  auto page = std::make_shared<UserExport>();
  page->user = user;
  auto messages = [this, user, after, limit, page, done] {
    store_.user_messages(user, after, limit, on_lane<std::vector<ChatMessage>>(user, [limit, page, done](
                                                                                  Result<std::vector<ChatMessage>> r) {
      if (!r.ok()) return done(r.status);
      page->messages = std::move(r.value);
      if (page->messages.size() == static_cast<std::size_t>(limit)) page->next = page->messages.back().id;
      done(std::move(*page));
    }));
  };
  if (!after.empty()) return messages();
  store_.rooms_of(user, on_lane<std::vector<RoomState>>(key, [page, done, messages](Result<std::vector<RoomState>> r) {
    if (!r.ok()) return done(r.status);
    page->rooms = std::move(r.value);
    messages();
  }));
}

void Hub::delete_user(const Actor& a, std::string user, DeletedUserMessages messages, Done<UserAccess> done) {
  if (!a.is_backend() && a.user != user) return done(backend_only());
  if (!valid_user_name(user)) return done(hub_rules::bad_user());
  const std::string key = user;
  // The rooms first, to take the user out of their online members on every node (the
  // members see the user go offline) once the store has forgotten the memberships.
  store_.rooms_of(user, on_lane<std::vector<RoomState>>(key, [this, user, messages, done](
                                                                 Result<std::vector<RoomState>> rooms) {
    if (!rooms.ok()) return done(rooms.status);
    store_.delete_user(user, messages, on_lane<UserAccess>(user, [this, user, rooms = std::move(rooms.value), done](
                                                                      Result<UserAccess> r) {
      if (!r.ok()) return done(r.status);
      spdlog::info("api: user {} deleted", user);
      for (const auto& room : rooms) {
        if (room.kind == RoomKind::direct) continue;
        emit(UserEvent{user, MembershipLeft{room.room, LeftReason::removed}, {}, 0, true});
      }
      emit(UserEvent{user, AccessChanged{r.value.token_version, true}, {}, 0, false});
      done(std::move(r.value));
    }));
  }));
}

}  // namespace parley
