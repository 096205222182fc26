// fuzz/fuzz_input.h — what the fuzz targets share: the input as a string_view, split at its
// first NUL-free separator when a target needs two parts, and a guard that aborts (so libFuzzer
// reports the input) when an invariant the code under test promises does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace rm::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input up to the first '\0' and the rest after it ("" when there is none).
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view in) {
  size_t nul = in.find('\0');
  if (nul == std::string_view::npos) {
    return {in, {}};
  }
  return {in.substr(0, nul), in.substr(nul + 1)};
}

inline void require(bool holds, const char* what) {
  if (!holds) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace rm::fuzz
