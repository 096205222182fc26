// tests/bench/bench_nullmailer.cc — nullmailer's side of figure 1 (`sendmail -t -i` of the
// 4 KB message, queue mode): whether it is measured and why not, the namespace its runs (and
// relaymail's, alternating with them) happen in, the check that every run queued a message, and
// the words of the row: nullmailer's times and relaymail/nullmailer beside relaymail's.
// Contract: nullmailer is measured only when run.sh unpacked it (--nullmailer ROOT) and the
// namespace could be made (bench_nullmailer_ns.h); otherwise the row says "not measured (why)"
// and nothing fails. A run that does not exit 0, or a queue that does not hold one file per
// successful run, is a failure (Bench::fail). Threads: the bench's one thread.
// Not here: the runs themselves (Bench::fig_submit in bench_figures.cc).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "bench/bench_nullmailer_ns.h"
#include "bench/bench_relay.h"

namespace rm::bench {

bool Bench::nullmailer_enter(NullmailerNs* ns) {
  if (!o_.nullmailer) {
    nullmailer_reason_ = "--no-nullmailer";
  } else if (!o_.nullmailer_missing.empty()) {
    nullmailer_reason_ = "not fetched: " + o_.nullmailer_missing;
  } else if (o_.nullmailer_root.empty()) {
    nullmailer_reason_ = "no --nullmailer ROOT given; `make bench` fetches it";
  } else if (std::string why; !ns->enter(o_.nullmailer_root, dir_ + "/nullmailer", &why)) {
    nullmailer_reason_ = why;
  } else {
    return true;
  }
  (void)std::fprintf(stderr, "bench_relay: nullmailer not measured: %s\n",
                     nullmailer_reason_.c_str());
  return false;
}

void Bench::nullmailer_leave(NullmailerNs* ns, long queued) {
  const long in_queue = count_files(ns->queue_dir(), "");
  const long in_tmp = count_files(ns->tmp_dir(), "");
  if (in_queue != queued || in_tmp != 0) {
    fail("nullmailer's queue holds " + std::to_string(in_queue) + " messages, not " +
         std::to_string(queued) + " (its tmp/: " + std::to_string(in_tmp) + ")");
  }
  nullmailer_queued_ = in_queue;
  if (!ns->leave()) {
    fail(std::string("setns back to the bench's mount namespace: ") + std::strerror(errno));
  }
}

std::string Bench::nullmailer_cell(const Stats& relaymail, const Stats& nullmailer) const {
  if (!nullmailer_reason_.empty()) {
    return "nullmailer: not measured (" + nullmailer_reason_ + ")";
  }
  if (nullmailer.n == 0 || relaymail.n == 0) {
    return "nullmailer: FAILED";
  }
  return "relaymail/nullmailer " + num(relaymail.median / nullmailer.median) + "× (nullmailer " +
         cell(nullmailer, true) + ")";
}

std::string Bench::nullmailer_note(size_t runs) const {
  if (!nullmailer_reason_.empty()) {
    return "nullmailer was not measured: " + nullmailer_reason_ + ".";
  }
  const std::string version =
      o_.nullmailer_version.empty() ? std::string() : " " + o_.nullmailer_version;
  struct stat queue_bin {};
  const bool setuid =
      ::stat((o_.nullmailer_root + "/usr/sbin/nullmailer-queue").c_str(), &queue_bin) == 0 &&
      (queue_bin.st_mode & S_ISUID) != 0;
  return "nullmailer" + version + " (Debian's package, unpacked in " + o_.nullmailer_root +
         "): " + std::to_string(runs) +
         " runs, alternating run by run with relaymail's (the order swapped every pair), both "
         "in one private mount namespace where /usr/bin/nullmailer-inject and "
         "/usr/sbin/nullmailer-queue (" +
         (setuid ? "setuid, as packaged" : "NOT setuid: unpacked without root") +
         ") are bind mounts of its binaries and "
         "/etc/nullmailer and /var/spool/nullmailer of a config and a spool in the bench's temp "
         "dir, beside relaymail's spool; its queue held " +
         std::to_string(nullmailer_queued_) +
         " messages afterwards (no nullmailer-send: nothing was sent).";
}

}  // namespace rm::bench
