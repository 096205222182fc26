// tests/bench/bench_nullmailer_ns.cc — see bench_nullmailer_ns.h.
#include "bench/bench_nullmailer_ns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace rm::bench {
namespace {

// One compiled-in path: parent/name is made to exist (a read-only overlay of parent with a stage
// dir holding an empty name), then source is bind-mounted over it.
struct Redirect {
  std::string parent;
  std::string name;
  std::string source;
  bool dir = false;
  bool writable = false;
};

std::vector<Redirect> redirects(const std::string& root, const std::string& dir) {
  return {
      {"/usr/bin", "nullmailer-inject", root + "/usr/bin/nullmailer-inject", false, false},
      {"/usr/sbin", "nullmailer-queue", root + "/usr/sbin/nullmailer-queue", false, false},
      {"/etc", "nullmailer", dir + "/etc", true, false},
      {"/var/spool", "nullmailer", dir + "/spool", true, true},
  };
}

// What relaymail's bench config says (domain, hostname), in nullmailer's words. No `me`: Debian's
// nullmailer ignores it (with a warning) in favour of /etc/mailname, which is left alone.
constexpr const char* kConfig[][2] = {
    {"defaultdomain", "example.com\n"},
    {"defaulthost", "bench.example.com\n"},
    {"idhost", "bench.example.com\n"},
};

bool failed(std::string* why, const std::string& what) {
  *why = what + ": " + std::strerror(errno);
  return false;
}

std::string stage_of(const std::string& dir, size_t i) {
  return dir + "/stage/" + std::to_string(i);
}

Env environment_without(const std::string& prefix) {
  Env env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) {
      env.emplace_back(*e);
    }
  }
  return env;
}

}  // namespace

bool NullmailerNs::enter(const std::string& root, const std::string& dir, std::string* why) {
  root_ = root;
  dir_ = dir;
  env_ = environment_without("NULLMAILER_");
  if (::geteuid() != 0) {
    *why = "needs root, for a private mount namespace";
    return false;
  }
  if (!prepare(why)) {
    return false;
  }
  home_ns_.reset(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  home_cwd_.reset(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!home_ns_.valid() || !home_cwd_.valid()) {
    return failed(why, "open /proc/self/ns/mnt and the working directory");
  }
  if (::unshare(CLONE_NEWNS) != 0) {
    return failed(why, "unshare(CLONE_NEWNS)");
  }
  inside_ = true;
  // Before any mount: nothing mounted from here on may propagate to the machine's namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    failed(why, "make / private in the new namespace");
    (void)leave();
    return false;
  }
  if (!mount_all(why)) {
    (void)leave();
    return false;
  }
  return true;
}

bool NullmailerNs::leave() {
  if (!inside_) {
    return true;
  }
  inside_ = false;
  const bool ok = ::setns(home_ns_.get(), CLONE_NEWNS) == 0 && ::fchdir(home_cwd_.get()) == 0;
  home_ns_.reset();
  home_cwd_.reset();
  return ok;
}

// The stage, config and spool under dir_; the spool owned by nullmailer-queue's owner (it runs
// setuid to that user, "mail" in Debian's package).
bool NullmailerNs::prepare(std::string* why) {
  if (dir_.find_first_of(",:\\") != std::string::npos) {
    *why = "the temp dir's path has a character overlayfs options cannot hold: " + dir_;
    return false;
  }
  const std::vector<Redirect> rs = redirects(root_, dir_);
  for (const std::string& bin : {sendmail(), rs[0].source, rs[1].source}) {
    if (::access(bin.c_str(), X_OK) != 0) {
      return failed(why, "no " + bin);
    }
  }
  struct stat queue_bin {};
  if (::stat(rs[1].source.c_str(), &queue_bin) != 0) {
    return failed(why, "stat " + rs[1].source);
  }
  for (const std::string& d : {dir_, dir_ + "/stage", dir_ + "/etc", dir_ + "/spool"}) {
    if (::mkdir(d.c_str(), 0755) != 0) {
      return failed(why, "mkdir " + d);
    }
  }
  for (const std::string& d : {queue_dir(), tmp_dir()}) {
    if (::mkdir(d.c_str(), 0700) != 0 ||
        ::chown(d.c_str(), queue_bin.st_uid, queue_bin.st_gid) != 0) {
      return failed(why, "make " + d);
    }
  }
  for (const auto& [name, text] : kConfig) {
    if (!write_file(dir_ + "/etc/" + name, text, 0644)) {
      return failed(why, "write " + dir_ + "/etc/" + name);
    }
  }
  for (size_t i = 0; i < rs.size(); ++i) {
    const std::string stage = stage_of(dir_, i);
    const std::string entry = stage + "/" + rs[i].name;
    if (::mkdir(stage.c_str(), 0755) != 0 ||
        (rs[i].dir ? ::mkdir(entry.c_str(), 0755) != 0 : !write_file(entry, "", 0644))) {
      return failed(why, "make " + entry);
    }
  }
  return true;
}

bool NullmailerNs::mount_all(std::string* why) {
  const std::vector<Redirect> rs = redirects(root_, dir_);
  for (size_t i = 0; i < rs.size(); ++i) {
    const Redirect& r = rs[i];
    const std::string lower = "lowerdir=" + stage_of(dir_, i) + ":" + r.parent;
    const std::string target = r.parent + "/" + r.name;
    if (::mount("overlay", r.parent.c_str(), "overlay", MS_RDONLY, lower.c_str()) != 0) {
      return failed(why, "mount an overlay on " + r.parent);
    }
    if (::mount(r.source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return failed(why, "bind-mount " + r.source + " on " + target);
    }
    if (!r.writable &&
        ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      return failed(why, "make " + target + " read-only");
    }
  }
  return true;
}

}  // namespace rm::bench
