#include "auth/base64.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace rm {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) {
    v = kInvalid;
  }
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return t;
}

constexpr std::array<int8_t, 256> kDecode = make_decode_table();

// Smallest capacity libstdc++ and libc++ never keep in the small-string buffer.
constexpr size_t kMinHeapCapacity = 32;

}  // namespace

std::string base64_encode(std::string_view raw) {
  std::string out;
  out.reserve(std::max((raw.size() + 2) / 3 * 4, kMinHeapCapacity));
  size_t i = 0;
  for (; i + 3 <= raw.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(raw[i])) << 16 |
                 static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8 |
                 static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = raw.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(raw[i])) << 16;
    if (rest == 2) {
      v |= static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8;
    }
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return make_error(Errc::auth, "base64 decode: length %zu is not a multiple of 4", text.size());
  }
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') {
    pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  }
  std::string out;
  out.reserve(std::max(text.size() / 4 * 3, kMinHeapCapacity));
  uint32_t acc = 0;
  size_t data_len = text.size() - pad;
  for (size_t i = 0; i < data_len; ++i) {
    int8_t d = kDecode[static_cast<unsigned char>(text[i])];
    if (d == kInvalid) {
      return make_error(Errc::auth, "base64 decode: invalid character at offset %zu", i);
    }
    acc = acc << 6 | static_cast<uint32_t>(d);
    if (i % 4 == 3) {
      out += static_cast<char>((acc >> 16) & 0xff);
      out += static_cast<char>((acc >> 8) & 0xff);
      out += static_cast<char>(acc & 0xff);
      acc = 0;
    }
  }
  if (pad == 2) {  // "xx==": 12 bits, the low 4 must be zero
    if ((acc & 0x0f) != 0) {
      return make_error(Errc::auth, "base64 decode: non-zero padding bits");
    }
    out += static_cast<char>((acc >> 4) & 0xff);
  } else if (pad == 1) {  // "xxx=": 18 bits, the low 2 must be zero
    if ((acc & 0x03) != 0) {
      return make_error(Errc::auth, "base64 decode: non-zero padding bits");
    }
    out += static_cast<char>((acc >> 10) & 0xff);
    out += static_cast<char>((acc >> 2) & 0xff);
  }
  return out;
}

}  // namespace rm
