// tests/bench/bench_spool.cc — how fast is `mailq` on a big spool. Fills a fresh spool with N
// valid entries (the real serialise_env(), so list() parses them exactly as it would real ones),
// then times FsQueueStore::list() in process and the built `relaymail queue` (what `mailq` and
// `sendmail -bp` run) with its output sent to /dev/null. Each measurement is one Markdown table
// line: median, min and max of --runs runs, after one untimed warm-up run (warm page cache).
// A benchmark, not a test: built with the rest, never registered with ctest.
//
//   bench_spool [--entries N] [--runs R] [--json] [--dir PARENT] [--keep] [--header] [--bin PATH]
//
// Target: `relaymail queue` under 1 s with 100,000 entries, warm (its format: DESIGN.md §9).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "queue/env_format.h"
#include "queue/fs_queue_store.h"
#include "queue/mail_file.h"

extern char** environ;

namespace rm {
namespace {

struct Options {
  size_t entries = 100000;
  int runs = 5;
  bool json = false;
  bool keep = false;
  bool header = false;
  std::string parent;
  std::string bin = RM_RELAYMAIL_BIN;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_spool: %s\n", what.c_str());
  std::exit(1);
}

Options parse_args(int argc, char** argv) {
  Options o;
  const char* tmp = std::getenv("TMPDIR");
  o.parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--entries" && has_value) {
      o.entries = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--runs" && has_value) {
      o.runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--dir" && has_value) {
      o.parent = argv[++i];
    } else if (a == "--bin" && has_value) {
      o.bin = argv[++i];
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--header") {
      o.header = true;
    } else {
      die("usage: bench_spool [--entries N] [--runs R] [--json] [--dir PARENT] [--keep] "
          "[--header] [--bin PATH]");
    }
  }
  return o;
}

void write_whole(const std::string& path, const std::string& text) {
  // A fixture: no fsync, no temp-and-rename. The spool's own writes are not what is measured.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    die("write " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
}

// Entry i: one or two recipients, some deferred with a reply, like a queue after an outage.
QueueEntry sample_entry(size_t i, int64_t now, const std::string& body) {
  QueueEntry e;
  e.id = make_queue_id((now - 86400) * 1000000 + static_cast<int64_t>(i) * 1000,
                       static_cast<uint32_t>(i & 0xffffff));
  e.uid = 1000;
  e.created = now - 86400 + static_cast<int64_t>(i / 1000);
  e.sender = i % 50 == 0 ? "" : "user" + std::to_string(i % 97) + "@example.org";
  e.rcpts.push_back({"rcpt" + std::to_string(i) + "@example.net", RcptState::pending, ""});
  if (i % 3 == 0) {
    e.attempts = 2;
    e.next_try = now + 600;
    e.last_error = "connect smtp.example.net:465: Connection refused";
    e.rcpts.push_back({"other@example.com", RcptState::deferred, "451 4.7.1 try again later"});
  }
  e.size = body.size();
  return e;
}

void fill_spool(const std::string& spool, size_t n) {
  SystemClock clock;
  FsQueueStore store(spool, clock);
  if (auto r = store.list(); !r) {  // creates queue/, tmp/, failed/
    die(r.error().what);
  }
  const std::string body = "From: a@example.org\nTo: b@example.net\nSubject: bench\n\nhello\n";
  for (size_t i = 0; i < n; ++i) {
    QueueEntry e = sample_entry(i, clock.wall(), body);
    auto text = serialise_env(e);
    if (!text) {
      die(text.error().what);
    }
    // A one-file entry (queue/mail_file.h); one that has been tried has its state beside it.
    const std::string head = mail_head(*text, kMailBodyOffset);
    write_whole(store.queue_dir() + "/" + e.id + ".mail",
                head + std::string(kMailBodyOffset - head.size(), '\0') + body);
    if (e.attempts > 0) {
      write_whole(store.queue_dir() + "/" + e.id + ".env", *text);
    }
  }
}

// Runs bin with args, stdout to out_path; the exit status.
int run(const Options& o, const std::vector<std::string>& args, const std::string& config,
        const std::string& out_path) {
  std::vector<std::string> env_text = {"RELAYMAIL_CONFIG=" + config};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "RELAYMAIL_CONFIG=", 17) != 0) {
      env_text.emplace_back(*e);
    }
  }
  std::vector<char*> envp;
  for (auto& s : env_text) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> argv_text = {o.bin};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_text) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, o.bin.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    die("spawn " + o.bin + ": " + std::strerror(rc));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One warm-up run, then o.runs timed runs; prints "| what | N | runs | median | min | max |".
void measure(const Options& o, const std::string& what, const std::function<void()>& once) {
  once();
  std::vector<double> ms;
  for (int i = 0; i < o.runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    once();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double median =
      ms.size() % 2 == 1 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  std::printf("| %s | %zu | %d | %.0f | %.0f | %.0f |\n", what.c_str(), o.entries, o.runs, median,
              ms.front(), ms.back());
  std::fflush(stdout);
}

// The listing must be complete, or the timing means nothing.
void check_listing(const Options& o, const std::string& config, const std::string& dir) {
  const std::string out = dir + "/listing.txt";
  if (int rc = run(o, {"queue"}, config, out); rc != 0) {
    die("relaymail queue exited " + std::to_string(rc));
  }
  std::string want = " in " + std::to_string(o.entries) + " Request";
  std::FILE* f = std::fopen(out.c_str(), "r");
  std::string text;
  char buf[65536];
  for (size_t n; f != nullptr && (n = std::fread(buf, 1, sizeof buf, f)) > 0;) {
    text.append(buf, n);
  }
  if (f != nullptr) {
    std::fclose(f);
  }
  if (o.entries > 0 && text.find(want) == std::string::npos) {
    die("listing in " + out + " does not end with \"" + want + "\"");
  }
}

int bench(const Options& o) {
  std::string templ = o.parent + "/bench_spool.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    die("mkdtemp " + templ + ": " + std::strerror(errno));
  }
  const std::string dir = templ;
  const std::string spool = dir + "/spool";
  const std::string config = dir + "/relaymail.conf";
  write_whole(config,
              "delivery = \"queue\";\nspool = \"" + spool + "\";\nlog = { syslog = false; };\n");
  fill_spool(spool, o.entries);
  check_listing(o, config, dir);
  if (o.header) {
    std::printf(
        "| what | entries | runs | median ms | min ms | max ms |\n|---|---|---|---|---|---|\n");
  }
  SystemClock clock;
  FsQueueStore store(spool, clock);
  measure(o, "FsQueueStore::list()", [&] {
    if (auto r = store.list(); !r || r->entries.size() != o.entries) {
      die("list() did not list every entry");
    }
  });
  auto timed_run = [&](std::vector<std::string> args) {
    return [&o, &config, args] {
      if (int rc = run(o, args, config, "/dev/null"); rc != 0) {
        die("relaymail exited " + std::to_string(rc));
      }
    };
  };
  measure(o, "relaymail queue", timed_run({"queue"}));
  if (o.json) {
    measure(o, "relaymail queue --json", timed_run({"queue", "--json"}));
  }
  if (o.keep) {
    std::fprintf(stderr, "bench_spool: kept %s (RELAYMAIL_CONFIG=%s)\n", dir.c_str(),
                 config.c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
  return 0;
}

}  // namespace
}  // namespace rm

int main(int argc, char** argv) {
  return rm::bench(rm::parse_args(argc, argv));
}
