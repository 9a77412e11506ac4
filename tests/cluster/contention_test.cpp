// PostgreSQL under contention: every node writes batches that share many rooms at once (joins
// that create the rooms, messages, read positions), and no transaction ever deadlocks or fails
// to serialize — the store takes its locks in one order (docs/cluster.md → "The path of a
// message"). PostgreSQL's own log is the witness.
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "cluster_test.hpp"

namespace parley::test::cluster {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ClusterContention : public ClusterTest {
protected:
  // The lines of PostgreSQL's log from byte `from` on that name a deadlock or a serialization
  // failure.
  std::vector<std::string> lock_failures(std::size_t from) {
    std::ifstream in(pg().log_path());
    in.seekg(static_cast<std::streamoff>(from));
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
      if (line.find("deadlock detected") != std::string::npos ||
          line.find("could not serialize") != std::string::npos)
        out.push_back(line);
    }
    return out;
  }
  std::size_t log_size() { return static_cast<std::size_t>(std::filesystem::file_size(pg().log_path())); }
};

TEST_F(ClusterContention, BatchesOverSharedRoomsFromEveryNodeNeverDeadlock) {
  constexpr int kPerNode = 4, kRooms = 24, kPerSender = 60;
  const std::size_t log_from = log_size();
  start_cluster();
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int n = 0; n < kNodes; ++n)
    for (int k = 0; k < kPerNode; ++k) clients.push_back(connect("u" + std::to_string(n) + "_" + std::to_string(k), n));
  std::vector<std::string> rooms;
  for (int r = 0; r < kRooms; ++r) rooms.push_back("shared" + std::to_string(r));

  // Every client joins every room, in its own shuffled order, all pipelined at once: the rooms
  // are created by whichever join comes first, in batches of every node.
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      threads.emplace_back([&, i] {
        std::vector<std::string> order = rooms;
        std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(i)));
        for (const auto& room : order) clients[i]->send_json({{"type", "join"}, {"room", room}});
      });
    }
    for (auto& t : threads) t.join();
  }
  for (auto& c : clients)
    for (const auto& room : rooms) c->expect(has({{"type", "joined"}, {"room", room}}), "joined " + room, 30s);

  // Then messages into random rooms and read positions moved, pipelined from every client.
  std::vector<std::vector<std::string>> sent(clients.size());
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      threads.emplace_back([&, i] {
        std::mt19937 rng(static_cast<unsigned>(1000 + i));
        for (int k = 0; k < kPerSender; ++k) {
          const std::string& room = rooms[rng() % rooms.size()];
          const std::string id = new_id();
          sent[i].push_back(id);
          post_message(*clients[i], room, "contended #" + std::to_string(k), id);
          if (k % 5 == 4) clients[i]->send_json({{"type", "read"}, {"room", rooms[rng() % rooms.size()]}, {"seq", 0}});
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  for (std::size_t i = 0; i < clients.size(); ++i) {
    auto acks = expect_acks(*clients[i], sent[i], 60s);
    EXPECT_EQ(acks.size(), sent[i].size());
  }
  EXPECT_EQ(lock_failures(log_from), std::vector<std::string>{}) << "PostgreSQL aborted transactions";
  for (int n = 0; n < kNodes; ++n) {
    std::ifstream log(node(n).log_path());
    std::stringstream text;
    text << log.rdbuf();
    EXPECT_EQ(text.str().find("retrying a batch"), std::string::npos) << "node" << n + 1 << " retried a batch:\n" << text.str();
  }
  // Every room's history is gap-free and holds each message once.
  std::size_t stored = 0;
  for (const auto& room : rooms) {
    json::object h = sync(*clients[0], room, 0, 200);
    std::vector<std::int64_t> s = seqs_of(h);
    for (std::size_t k = 0; k < s.size(); ++k) EXPECT_EQ(s[k], static_cast<std::int64_t>(k + 1)) << room;
    stored += s.size();
  }
  EXPECT_EQ(stored, clients.size() * kPerSender);
}

}  // namespace
}  // namespace parley::test::cluster
