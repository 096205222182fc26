// unit/relay/runner_fixture.h — what the QueueRunner tests share: a spool in a temp dir, the
// in-process fake smarthost (STARTTLS + AUTH, real TCP and TLS, test PKI) with one account for it,
// helpers to queue and age entries and to read the transcript, and two seams: a Connector that
// counts its connects and a SysOps that skips fsync. Each test suite derives its own fixture
// class from RunnerFixture. Outcomes arrive in outcomes_, one call at a time (the runner's
// contract), possibly from worker threads.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "queue/fs_queue_store.h"
#include "queue/mail_file.h"
#include "relay/queue_runner.h"
#include "support/fake_smtp_server.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "support/test_pki.h"
#include "sys/sys_ops.h"

namespace rm::test {

inline constexpr char kPassword[] = "pw-for-tests";

class RunnerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::create("relaymail-runner");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<test::TempDir>(std::move(*dir));
    auto pki = test::generate_test_pki(dir_->path());
    ASSERT_TRUE(pki) << pki.error().what;
    pki_ = *pki;
    std::string pass = dir_->file("pass");
    int fd = ::open(pass.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_EQ(::write(fd, kPassword, sizeof kPassword - 1),
              static_cast<ssize_t>(sizeof kPassword - 1));
    ::close(fd);
    store_ = std::make_unique<FsQueueStore>(dir_->file("spool"), clock_);
  }

  FakeSmtpServer& start_server(const std::string& leaf = "good", std::vector<Fault> faults = {},
                               const std::function<void(FakeSmtpOptions&)>& tweak = nullptr) {
    FakeSmtpOptions o;
    o.tls = FakeTls::starttls;
    o.cert_file = pki_.leaf(leaf)->cert;
    o.key_file = pki_.leaf(leaf)->key;
    o.user = "demo";
    o.password = kPassword;
    o.faults = std::move(faults);
    if (tweak) {
      tweak(o);
    }
    server_ = std::make_unique<FakeSmtpServer>(o);
    EXPECT_TRUE(server_->start());
    Account a;
    a.name = "test";
    a.host = "localhost";
    a.port = server_->port();
    a.tls = TlsMode::starttls;
    a.tls_ca_file = pki_.ca_file;
    a.auth = AuthMethod::automatic;
    a.user = "demo";
    a.password = {PasswordSource::Kind::file, dir_->file("pass")};
    a.timeout = std::chrono::seconds(10);
    config_.accounts = {a};
    return *server_;
  }

  std::string enqueue(std::vector<std::string> rcpts, const std::string& body,
                      const std::string& sender = "alice@example.com",
                      const std::string& notify = "", const std::string& ret = "") {
    auto draft = store_->begin();
    EXPECT_TRUE(draft);
    EXPECT_TRUE((*draft)->sink().write(body));
    QueueEntry e;
    e.id = (*draft)->id();
    e.sender = sender;
    e.dsn_notify = notify;
    e.dsn_ret = ret;
    for (auto& r : rcpts) {
      e.rcpts.push_back({r, RcptState::pending, ""});
    }
    e.created = clock_.wall();
    EXPECT_TRUE(store_->commit(**draft, e));
    return e.id;
  }

  RunSummary run(bool force = true) {
    NetConnector connector("client.test");
    return run_with(clock_, connector, force);
  }

  RunSummary run_with(const Clock& clock, Connector& connector, bool force) {
    QueueRunner runner(std::make_shared<const Config>(config_), "client.test", *store_, connector,
                       clock, [this](const EntryOutcome& o) {
                         if (on_outcome_) {
                           on_outcome_(o);
                         }
                         outcomes_.push_back(o);
                       });
    RunOptions opts;
    opts.force = force;
    return runner.run(opts);
  }

  // Rewrites a queued entry as if it had been accepted `age` seconds ago and tried `attempts`
  // times, the last failing with `last` (deferred recipients; next_try an hour ahead).
  void age_entry(const std::string& id, int64_t age, uint32_t attempts = 0,
                 const std::string& last = "") {
    auto e = store_->load(id);
    ASSERT_TRUE(e);
    e->created = clock_.wall() - age;
    e->attempts = attempts;
    if (attempts > 0) {
      e->last_error = last;
      e->next_try = clock_.wall() + 3600;
      for (RcptEntry& r : e->rcpts) {
        if (r.state == RcptState::pending) {
          r.state = RcptState::deferred;
          r.last_reply = last;
        }
      }
    }
    ASSERT_TRUE(store_->update(*e));
  }

  // The queued message of `id` changed after commit, as a lost tail or a stray writer would
  // leave it: cut to `size` bytes, then `append` added to its end.
  void reshape_message(const std::string& id, off_t size, const std::string& append) {
    const std::string mail = dir_->file("spool") + "/queue/" + id + ".mail";
    ASSERT_EQ(::truncate(mail.c_str(), static_cast<off_t>(kMailBodyOffset) + size), 0);
    if (append.empty()) {
      return;
    }
    int fd = ::open(mail.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::write(fd, append.data(), append.size()), static_cast<ssize_t>(append.size()));
    ::close(fd);
  }

  // The entry's .mail sits in <spool>/failed/ (fs_queue_store.h's layout).
  bool in_failed(const std::string& id) const {
    struct stat st {};
    return ::stat((dir_->file("spool") + "/failed/" + id + ".mail").c_str(), &st) == 0;
  }

  std::vector<std::string> client_lines() const {
    std::vector<std::string> out;
    for (const TranscriptEntry& t : server_->transcript()) {
      if (t.dir == TranscriptEntry::Dir::client) {
        out.push_back(t.text);
      }
    }
    return out;
  }

  SystemClock clock_;
  std::unique_ptr<test::TempDir> dir_;
  test::TestPki pki_;
  std::unique_ptr<FsQueueStore> store_;
  std::unique_ptr<FakeSmtpServer> server_;
  Config config_;
  std::vector<EntryOutcome> outcomes_;
  std::function<void(const EntryOutcome&)> on_outcome_;  // also called for each outcome
};

using ManualClock = TestClock;

// A NetConnector that counts its connects and lets `advance` seconds of wall time pass in
// each (a connect timeout during an outage). The count may be kept by several workers at once;
// the clock only moves in tests with a single connect at a time.
class SlowConnector final : public Connector {
 public:
  SlowConnector(ManualClock* clock, int64_t advance) : clock_(clock), advance_(advance) {}
  Result<std::unique_ptr<SmtpClient>> connect(const Account& account) override {
    ++connects;
    if (clock_ != nullptr) {
      clock_->advance(advance_);
    }
    return inner_.connect(account);
  }
  std::atomic<int> connects = 0;

 private:
  NetConnector inner_{"client.test"};
  ManualClock* clock_;
  int64_t advance_;
};

// Another SysOps behind a mutex: FaultOps counts its calls without one, and a run with several
// connections (or a committer thread) makes spool calls from several threads.
class LockedOps final : public SysOps {
 public:
  explicit LockedOps(const SysOps& inner) : inner_(inner) {}
  ssize_t write(int fd, const void* buf, size_t n) const override {
    std::lock_guard lock(mu_);
    return inner_.write(fd, buf, n);
  }
  int fsync(int fd) const override {
    std::lock_guard lock(mu_);
    return inner_.fsync(fd);
  }
  int rename(const char* from, const char* to, unsigned flags) const override {
    std::lock_guard lock(mu_);
    return inner_.rename(from, to, flags);
  }
  int unlink(const char* path) const override {
    std::lock_guard lock(mu_);
    return inner_.unlink(path);
  }

 private:
  const SysOps& inner_;
  mutable std::mutex mu_;
};

// fsync skipped, nothing counted: thread-safe, unlike FaultOps, for runs with several workers.
class NoSyncOps final : public SysOps {
 public:
  int fsync(int /*fd*/) const override { return 0; }
};

}  // namespace rm::test
