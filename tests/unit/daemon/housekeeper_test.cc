// Tests for daemon/housekeeper.h: idle SMTP sessions are QUIT on the housekeeper's round (not
// left for the smarthost to drop), and what crashed writers left in tmp/ is removed at start,
// with the orphan messages in queue/ (each with its log line).
#include "daemon/housekeeper.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "unit/queue/two_file_spool.h"
#include "unit/relay/runner_fixture.h"

namespace rm {
namespace {

using namespace std::chrono_literals;

class HousekeeperTest : public test::RunnerFixture {
 protected:
  bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) {
        return true;
      }
      std::this_thread::yield();
    }
    return done();
  }
  test::SlowConnector connector_{nullptr, 0};
};

TEST_F(HousekeeperTest, QuitsIdleSessionsAndCleansTmp) {
  start_server();
  ConnectionPool pool(connector_, clock_);
  auto lease = pool.acquire(config_.accounts.at(0));
  ASSERT_TRUE(lease && *lease);
  pool.release(std::move(*lease));
  ASSERT_TRUE(store_->list());  // the spool and its tmp/ exist
  const std::string garbage = dir_->file("spool") + "/tmp/0661FC0000000000DEAD.msg.x";
  std::ofstream(garbage) << "left by a crashed writer";
  std::filesystem::last_write_time(garbage, std::filesystem::file_time_type::clock::now() - 2h);
  // An entry of the two-file format cut between its two unlinks: its .msg without .env, two
  // hours old.
  const std::string orphan = enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n");
  test::split_to_two_files(dir_->file("spool") + "/queue", orphan);
  const std::string orphan_msg = dir_->file("spool") + "/queue/" + orphan + ".msg";
  ASSERT_TRUE(std::filesystem::remove(dir_->file("spool") + "/queue/" + orphan + ".env"));
  std::filesystem::last_write_time(orphan_msg, std::filesystem::file_time_type::clock::now() - 2h);
  Logger log("test", LogLevel::error);
  std::mutex lines_mu;
  std::vector<std::string> lines;
  log.set_level(LogLevel::info);
  log.set_callback([&](LogLevel, std::string_view m) {
    std::lock_guard lock(lines_mu);
    lines.emplace_back(m);
  });
  Housekeeper keeper(pool, *store_, log, Housekeeper::Options{.tick = 10ms, .idle_session = 0ms});
  std::thread t([&] { keeper.run(); });
  EXPECT_TRUE(eventually([&] {
    return server_->transcript_text(0).find("QUIT") != std::string::npos;
  })) << server_->transcript_text(0);
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(garbage); }));
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(orphan_msg); }));
  keeper.stop();
  t.join();
  std::lock_guard lock(lines_mu);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [&](const std::string& l) { return l.find(orphan) != l.npos; }),
            1)
      << "one line for the orphan";
  auto again = pool.acquire(config_.accounts.at(0));
  ASSERT_TRUE(again && *again);
  EXPECT_EQ(connector_.connects.load(), 2) << "a fresh session, not the one that was idle";
}

}  // namespace
}  // namespace rm
