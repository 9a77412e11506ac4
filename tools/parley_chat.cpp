// parley-chat: a minimal terminal client. Logs in (or registers), joins a room, prints the
// room's last messages and live events, and sends every line typed on stdin as a message.
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <deque>
#include <iostream>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

std::string uuid4() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = (b[6] & 0x0F) | 0x40;
  b[8] = (b[8] & 0x3F) | 0x80;
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, b, sizeof b);
  std::string h(hex);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// POST /api/<what> and return the token, or throw with the server's message.
std::string fetch_token(asio::io_context& ioc, const std::string& host, const std::string& port,
                        const std::string& what, const std::string& user, const std::string& password) {
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::resolver(ioc).resolve(host, port));
  http::request<http::string_body> req{http::verb::post, "/api/" + what, 11};
  req.set(http::field::host, host);
  req.set(http::field::content_type, "application/json");
  req.body() = json::serialize(json::object{{"user", user}, {"password", password}});
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  auto body = json::parse(res.body()).as_object();
  if (res.result_int() / 100 != 2) throw std::runtime_error(what + ": " + std::string(body["error"].as_string()));
  return std::string(body["token"].as_string());
}

std::string_view str(const json::value& v) { return v.as_string(); }

void print_event(const json::object& e) {
  auto type = e.at("type").as_string();
  if (type == "message") {
    std::cout << "[" << str(e.at("room")) << " #" << e.at("seq").as_int64() << "] "
              << str(e.at("user")) << ": " << str(e.at("text")) << std::endl;
  } else if (type == "history") {
    for (auto& m : e.at("messages").as_array()) {
      auto& o = m.as_object();
      std::cout << "[" << str(e.at("room")) << " #" << o.at("seq").as_int64() << "] "
                << str(o.at("user")) << ": " << str(o.at("text")) << std::endl;
    }
  } else if (type == "typing") {
    if (e.at("active").as_bool()) std::cout << "  (" << str(e.at("user")) << " is typing…)" << std::endl;
  } else if (type == "presence") {
    std::cout << "  * " << str(e.at("user")) << " is " << str(e.at("status")) << std::endl;
  } else if (type == "error") {
    std::cout << "  ! " << str(e.at("code")) << ": " << str(e.at("message")) << std::endl;
  } else if (type == "joined") {
    std::cout << "  joined " << str(e.at("room")) << " (online: " << json::serialize(e.at("online")) << ")" << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"parley-chat: chat in a parley room from the terminal"};
  std::string url = "http://127.0.0.1:8080", user, password, room = "general", token;
  bool do_register = false;
  app.add_option("--url", url, "server address")->capture_default_str();
  app.add_option("--user", user, "user name");
  app.add_option("--password", password, "password (or PARLEY_PASSWORD)")->envname("PARLEY_PASSWORD");
  app.add_option("--token", token, "a token minted by your application instead of a password");
  app.add_flag("--register", do_register, "create the account first");
  app.add_option("--room", room, "room to join")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (sodium_init() < 0) return 1;

  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    std::cerr << "bad --url\n";
    return 2;
  }
  std::string host(parsed->host()), port = parsed->has_port() ? std::string(parsed->port()) : "80";
  try {
    asio::io_context ioc;
    if (token.empty()) {
      if (user.empty() || password.empty()) throw std::runtime_error("give --user and --password, or --token");
      token = fetch_token(ioc, host, port, do_register ? "register" : "login", user, password);
    }
    websocket::stream<beast::tcp_stream> ws(ioc);
    beast::get_lowest_layer(ws).connect(tcp::resolver(ioc).resolve(host, port));
    ws.handshake(host + ":" + port, "/ws?token=" + token);
    ws.text(true);
    std::deque<std::string> outbox;
    auto write_next = std::make_shared<std::function<void()>>();
    *write_next = [&, write_next] {
      ws.async_write(asio::buffer(outbox.front()), [&, write_next](beast::error_code ec, std::size_t) {
        if (ec) return;
        outbox.pop_front();
        if (!outbox.empty()) (*write_next)();
      });
    };
    auto send = [&](json::object o) {
      asio::post(ioc, [&, write_next, text = json::serialize(o)] {
        outbox.push_back(text);
        if (outbox.size() == 1) (*write_next)();
      });
    };
    send({{"type", "join"}, {"room", room}});
    send({{"type", "history"}, {"room", room}, {"limit", 20}});

    beast::flat_buffer in;
    std::function<void(beast::error_code, std::size_t)> on_read = [&](beast::error_code ec, std::size_t) {
      if (ec) {
        std::cout << "disconnected: " << ec.message() << " (" << ws.reason().code << ")" << std::endl;
        ioc.stop();
        return;
      }
      print_event(json::parse(beast::buffers_to_string(in.data())).as_object());
      in.consume(in.size());
      ws.async_read(in, on_read);
    };
    ws.async_read(in, on_read);

    std::thread input([&] {
      for (std::string line; std::getline(std::cin, line);) {
        if (!line.empty()) send({{"type", "message"}, {"room", room}, {"id", uuid4()}, {"text", line}});
      }
      asio::post(ioc, [&] { ws.async_close(websocket::close_code::normal, [](beast::error_code) {}); });
    });
    ioc.run();
    input.detach();
  } catch (const std::exception& e) {
    std::cerr << "parley-chat: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
