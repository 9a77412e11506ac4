#include "net/ws_commands.hpp"

#include <spdlog/spdlog.h>

#include "common/error_codes.hpp"
#include "hub/hub.hpp"
#include "metrics/metrics.hpp"
#include "net/context.hpp"
#include "protocol/decode.hpp"
#include "protocol/encode.hpp"

namespace parley {
namespace json = boost::json;
namespace {

// A completion that sends the error frame on failure and `frame(value)` on success (nothing
// when it returns a null frame).
template <class T, class F>
Done<T> reply(Metrics& m, const ClientPtr& c, const json::value& ref, std::string id, F frame) {
  return [&m, c, ref, id = std::move(id), frame = std::move(frame)](Result<T> r) {
    if (!r.ok()) return c->send(error_frame(m, *c, r.status, ref, id));
    if (Frame f = frame(r.value)) c->send(std::move(f));
  };
}

}  // namespace

Frame error_frame(Metrics& metrics, const Client& c, const Status& s, const json::value& ref, std::string_view id) {
  const ErrorCode code = error_code(s.code());
  metrics.errors.add(code.name);
  if (code.internal) {
    spdlog::error("conn {} user {}: store error: {}", c.id(), c.user(), s.message());
    return encode::error(code.name, kStoreUnavailable, ref, id);
  }
  spdlog::info("conn {} user {}: error {}: {}", c.id(), c.user(), code.name, s.message());
  return encode::error(code.name, s.message(), ref, id, s.until_ms(), s.retry_after_ms());
}

void handle_text(Hub& hub, Metrics& metrics, const ClientPtr& client, std::string_view text, const AuthHandler& on_auth) {
  auto decoded = decode_command(text);
  if (auto* err = std::get_if<ProtocolError>(&decoded)) {
    metrics.errors.add(err->code);
    spdlog::info("conn {} user {}: error {}: {}", client->id(), client->user(), err->code, err->message);
    return client->send(encode::error(*err), Urgency::normal);
  }
  auto& cmd = std::get<Command>(decoded);
  if (auto* auth = std::get_if<AuthCmd>(&cmd.body)) return on_auth(*auth, cmd.ref);
  run_command(hub, metrics, client, std::move(cmd));
}

void check_fresh_token(NetContext& ctx, const std::string& user, const std::string& token,
                       std::function<void(Result<TokenClaims>)> done) {
  auto claims = ctx.jwt.verify(token, ctx.clock.wall_ms() / 1000);
  if (!claims.ok()) return done(Result<TokenClaims>(Status::unauthorized(claims.status.message())));
  if (claims.value.sub != user) return done(Result<TokenClaims>(Status::unauthorized("token is for another user")));
  // A revoked token, or a user disabled since, is refused as an invalid one is.
  ctx.hub.check_token(user, claims.value.ver, claims.value.jti, [claims = claims.value, done = std::move(done)](Result<UserAccess> r) {
    if (!r.ok()) return done(Result<TokenClaims>(r.status));
    done(Result<TokenClaims>(claims));
  });
}

void run_command(Hub& hub, Metrics& m, const ClientPtr& c, Command command) {
  const Actor a = Actor::of_user(c->user(), c->id());
  const json::value& ref = command.ref;
  std::visit(
      [&](auto&& cmd) {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, JoinCmd>) {
          hub.join(a, cmd.room, reply<Joined>(m, c, ref, {}, [ref](const Joined& j) {
            return encode::joined(j.state, j.online, j.online_count, j.by_count, ref);
          }));
        } else if constexpr (std::is_same_v<T, LeaveCmd>) {
          hub.leave(a, cmd.room, reply<Ok>(m, c, ref, {}, [ref, room = cmd.room](const Ok&) { return encode::left(room, ref); }));
        } else if constexpr (std::is_same_v<T, MessageCmd> || std::is_same_v<T, EntryCmd>) {
          PostRequest req;
          req.room = cmd.room;
          req.id = cmd.id;
          req.text = std::move(cmd.text);
          if constexpr (std::is_same_v<T, EntryCmd>) {
            req.kind = cmd.kind;
            req.target = cmd.seq;
          } else {
            req.reply_to = cmd.reply_to;
            req.data = std::move(cmd.data);
            req.attachments = std::move(cmd.attachments);
          }
          std::string id = req.id;
          hub.post(a, std::move(req), reply<Appended>(m, c, ref, id, [ref](const Appended& r) {
            const ChatMessage& msg = r.message;
            return encode::ack(msg.room, msg.id, msg.seq, msg.ts, ref);
          }));
        } else if constexpr (std::is_same_v<T, TypingCmd>) {
          hub.typing(a, cmd.room, cmd.active, reply<Ok>(m, c, ref, {}, [](const Ok&) { return Frame(); }));
        } else if constexpr (std::is_same_v<T, ReadCmd>) {
          hub.read(a, cmd.room, cmd.seq, reply<Ok>(m, c, ref, {}, [](const Ok&) { return Frame(); }));
        } else if constexpr (std::is_same_v<T, SyncCmd> || std::is_same_v<T, HistoryCmd>) {
          HistoryQuery q;
          if constexpr (std::is_same_v<T, SyncCmd>) {
            q.after = cmd.after;
          } else {
            q.before = cmd.before;
          }
          q.limit = cmd.limit;
          hub.history(a, cmd.room, q, reply<MessagePage>(m, c, ref, {}, [ref, room = cmd.room](const MessagePage& p) {
            return encode::history(room, p, ref);
          }));
        } else if constexpr (std::is_same_v<T, CreateCmd>) {
          hub.create_room(a, cmd.room, cmd.kind, reply<Created>(m, c, ref, {}, [ref](const Created& r) {
            return encode::joined(r.joined.state, r.joined.online, r.joined.online_count, r.joined.by_count, ref);
          }));
        } else if constexpr (std::is_same_v<T, DmCmd>) {
          hub.open_direct(a, {}, cmd.to, reply<Joined>(m, c, ref, {}, [ref](const Joined& j) {
            return encode::joined(j.state, j.online, j.online_count, j.by_count, ref);
          }));
        } else if constexpr (std::is_same_v<T, InviteCmd>) {
          hub.add_member(a, cmd.room, cmd.user, reply<RoomState>(m, c, ref, {}, [ref](const RoomState&) { return encode::ok(ref); }));
        } else if constexpr (std::is_same_v<T, ModerateCmd>) {
          const ModerateRequest req{cmd.room, cmd.user, cmd.action, cmd.seconds, cmd.role};
          hub.moderate(a, req, reply<ModerationResult>(m, c, ref, {}, [ref](const ModerationResult&) {
            return encode::ok(ref);
          }));
        } else if constexpr (std::is_same_v<T, BlockCmd>) {
          hub.block(a, cmd.user, cmd.on, reply<std::vector<std::string>>(m, c, ref, {}, [ref](const std::vector<std::string>& list) {
            return encode::blocks(list, ref);
          }));
        } else if constexpr (std::is_same_v<T, SearchCmd>) {
          SearchQuery q{{}, cmd.query, cmd.room, cmd.limit};
          hub.search(a, std::move(q), reply<std::vector<ChatMessage>>(m, c, ref, {}, [ref, query = cmd.query](
                                                                                    const std::vector<ChatMessage>& found) {
            return encode::results(query, found, ref);
          }));
        } else if constexpr (std::is_same_v<T, ThreadCmd>) {
          ThreadQuery q{cmd.room, cmd.seq, HistoryQuery{cmd.after, cmd.before, cmd.limit}};
          hub.thread(a, std::move(q), reply<MessagePage>(m, c, ref, {}, [ref, room = cmd.room, root = cmd.seq](
                                                                            const MessagePage& p) {
            return encode::thread(room, root, p, ref);
          }));
        } else if constexpr (std::is_same_v<T, NotifyCmd>) {
          hub.set_notify(a, cmd.room, cmd.level, reply<RoomState>(m, c, ref, {}, [ref](const RoomState& s) {
            return encode::notify(s.room, s.notify, s.mentions, ref);
          }));
        } else if constexpr (std::is_same_v<T, PushCmd>) {
          hub.push_subscription(a, PushSubscription{cmd.endpoint, cmd.p256dh, cmd.auth, 0}, cmd.on,
                                reply<Ok>(m, c, ref, {}, [ref](const Ok&) { return encode::ok(ref); }));
        } else if constexpr (std::is_same_v<T, StatusCmd>) {
          hub.set_status(a, UserStatus{cmd.away, cmd.text}, reply<Ok>(m, c, ref, {}, [ref](const Ok&) { return encode::ok(ref); }));
        } else if constexpr (std::is_same_v<T, SlowModeCmd>) {
          hub.set_slow_mode(a, cmd.room, cmd.seconds,
                            reply<RoomState>(m, c, ref, {}, [ref](const RoomState&) { return encode::ok(ref); }));
        } else if constexpr (std::is_same_v<T, PinCmd>) {
          hub.pin(a, cmd.room, cmd.seq, cmd.on, reply<Ok>(m, c, ref, {}, [ref](const Ok&) { return encode::ok(ref); }));
        } else if constexpr (std::is_same_v<T, ReadsCmd>) {
          ReadsQuery q{cmd.room, cmd.after, cmd.limit};
          hub.reads(a, std::move(q), reply<ReadsPage>(m, c, ref, {}, [ref, room = cmd.room, members = cmd.members](
                                                                          const ReadsPage& p) {
            return members ? encode::members(room, p.reads, p.next, ref) : encode::reads(room, p.reads, p.next, ref);
          }));
        } else if constexpr (std::is_same_v<T, OnlineCmd>) {
          OnlineQuery q{cmd.room, cmd.after, cmd.limit};
          hub.online(a, std::move(q), reply<OnlineMembers>(m, c, ref, {}, [ref, room = cmd.room](const OnlineMembers& p) {
            return encode::online(room, p.users, p.count, p.next, ref);
          }));
        }
        // AuthCmd belongs to the connection (net/ws_session) and never reaches here.
      },
      std::move(command.body));
}

}  // namespace parley
