// tests/bench/bench_table.cc — see bench_table.h.
#include "bench/bench_table.h"

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace rm::bench {
namespace {

std::string fs_name(long magic) {
  struct Known {
    unsigned long magic;
    const char* name;
  };
  static constexpr Known kKnown[] = {
      {0xEF53, "ext4"},          {0x01021994, "tmpfs"}, {0x58465342, "xfs"},  {0x9123683E, "btrfs"},
      {0x794C7630, "overlayfs"}, {0x6969, "nfs"},       {0x65735546, "fuse"}, {0x2FC12FC1, "zfs"},
      {0x5346544E, "ntfs"},      {0xF2F52010, "f2fs"},
  };
  for (const Known& k : kKnown) {
    if (k.magic == static_cast<unsigned long>(magic)) {
      return k.name;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "fs 0x%lx", static_cast<unsigned long>(magic));
  return buf;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  for (int i = 0; i < 10000 && std::getline(in, line); ++i) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? line
                                        : line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

}  // namespace

Stats summarize(std::vector<double> samples) {
  Stats s;
  s.n = samples.size();
  if (samples.empty()) {
    return s;
  }
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  s.median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  s.min = samples.front();
  s.max = samples.back();
  size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n)));
  s.p99 = samples[std::clamp<size_t>(rank, 1, n) - 1];
  return s;
}

std::string num(double v) {
  char buf[64];
  const double a = std::fabs(v);
  if (a >= 100 || a == 0) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (a >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else if (a >= 1) {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

std::string cell(const Stats& s, bool with_p99) {
  if (s.n == 0) {
    return "no samples";
  }
  std::string out = num(s.median) + " (" + num(s.min) + "–" + num(s.max) + ")";
  if (with_p99) {
    out += " p99 " + num(s.p99);
  }
  return out;
}

std::string ratio(double relaymail, double msmtp) {
  if (relaymail <= 0 || msmtp <= 0) {
    return "—";
  }
  const double r = relaymail / msmtp;
  if (r >= 1) {
    return num(r) + "×";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2g× (1/%.0f)", r, 1 / r);
  return buf;
}

std::string render_table(const std::vector<Row>& rows) {
  std::string out =
      "| figure | target | relaymail median (min–max) [p99] | msmtp median (min–max) | "
      "relaymail/msmtp | meets target? |\n"
      "|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    out += "| " + r.figure + " | " + r.target + " | " + r.relaymail + " | " + r.msmtp + " | " +
           r.ratio + " | " + r.meets + " |\n";
  }
  return out;
}

std::string machine_line(const std::string& path) {
  utsname u{};
  std::string kernel = ::uname(&u) == 0 ? std::string(u.sysname) + " " + u.release + " " + u.machine
                                        : "unknown kernel";
  struct statfs fs {};
  std::string fsys = ::statfs(path.c_str(), &fs) == 0 ? fs_name(fs.f_type) : "unknown fs";
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return std::to_string(cpus) + " CPUs (" + cpu_model() + "), " + kernel + ", spool under " + path +
         " on " + fsys;
}

}  // namespace rm::bench
