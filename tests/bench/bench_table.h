// tests/bench/bench_table.h — numbers into words for bench_relay: summary statistics of a set
// of samples (median, min, max, nearest-rank p99), the cells of the result table, the Markdown
// table itself, and a one-line description of the machine (CPUs, kernel, the filesystem a path
// lives on). Pure formatting apart from machine_line(), which reads /proc and statfs().
// Cannot fail: what cannot be read is printed as "unknown". Not thread-safe. Not here: running
// anything (bench_proc.h) or deciding what is measured (bench_relay.cc).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rm::bench {

struct Stats {
  size_t n = 0;
  double median = 0;
  double min = 0;
  double max = 0;
  double p99 = 0;  // nearest rank: the smallest sample with at least 99% of samples <= it
};

Stats summarize(std::vector<double> samples);

// A number with about three significant digits ("0.842", "12.3", "2450").
std::string num(double v);
// "median (min–max)", plus " p99 X" when with_p99; "no samples" when s.n == 0.
std::string cell(const Stats& s, bool with_p99);
// relaymail/msmtp as "35×" or "0.0061× (1/164)".
std::string ratio(double relaymail, double msmtp);

struct Row {
  std::string figure;
  std::string target;
  std::string relaymail;
  std::string msmtp;
  std::string ratio;
  std::string meets;  // "yes", "NO", "FAILED", or "—" for floors
};

std::string render_table(const std::vector<Row>& rows);

// "2 CPUs (AMD EPYC), Linux 6.1.0 x86_64, /tmp on ext4"
std::string machine_line(const std::string& path);

}  // namespace rm::bench
