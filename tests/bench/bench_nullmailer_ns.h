// tests/bench/bench_nullmailer_ns.h — nullmailer's compiled-in paths, redirected for
// bench_relay: a private mount namespace that this process enters, in which
// /usr/bin/nullmailer-inject and /usr/sbin/nullmailer-queue are bind mounts of the unpacked
// package's binaries, and /etc/nullmailer and /var/spool/nullmailer of a config and a spool in a
// temp dir (each name made to exist by a read-only overlay of its parent with a stage dir).
// Contract: enter() needs root; when it fails it says why and this process is back in its own
// namespace. Mounts are private before the first one, so nothing outside the namespace changes;
// nothing sends (no trigger fifo, nullmailer-send never runs). leave(), also the destructor,
// returns this process to its namespace, which frees every mount. Children spawned in between
// run inside; spool files are reachable from both sides under the temp dir.
// Threads: enter() and leave() only while this process has one thread (unshare and setns need
// that). Not here: what is measured (bench_nullmailer.cc), spawning (bench_proc.h).
#pragma once

#include <string>

#include "bench/bench_proc.h"
#include "sys/unique_fd.h"

namespace rm::bench {

class NullmailerNs {
 public:
  NullmailerNs() = default;
  ~NullmailerNs() { (void)leave(); }
  NullmailerNs(const NullmailerNs&) = delete;
  NullmailerNs& operator=(const NullmailerNs&) = delete;

  // root: the unpacked package (root/usr/sbin/sendmail ...); dir: a fresh directory for the
  // stage, config and spool, on the filesystem whose fsync costs are to be compared.
  bool enter(const std::string& root, const std::string& dir, std::string* why);
  // False when setns() failed: this process then stays inside (harmless, but reported).
  bool leave();

  std::string sendmail() const { return root_ + "/usr/sbin/sendmail"; }
  std::string queue_dir() const { return dir_ + "/spool/queue"; }  // valid on both sides
  std::string tmp_dir() const { return dir_ + "/spool/tmp"; }
  // This process's environment without NULLMAILER_* (its test hooks would bypass the mounts).
  const Env& env() const { return env_; }

 private:
  bool prepare(std::string* why);
  bool mount_all(std::string* why);

  std::string root_;
  std::string dir_;
  Env env_;
  UniqueFd home_ns_;
  UniqueFd home_cwd_;
  bool inside_ = false;
};

}  // namespace rm::bench
