// core/secret_string.h — a string that holds a password or token. It cannot be formatted or
// streamed (no operator<<, no implicit conversion), and its bytes are wiped when it dies.
// Use view() only at the one place that must put the secret on the wire. Not thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rm {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString&) = default;
  SecretString& operator=(const SecretString&) = default;
  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { o.wipe(); }
  SecretString& operator=(SecretString&& o) noexcept {
    wipe();
    s_ = std::move(o.s_);
    o.wipe();
    return *this;
  }
  ~SecretString() { wipe(); }

  std::string_view view() const { return s_; }
  bool empty() const { return s_.empty(); }
  size_t size() const { return s_.size(); }

 private:
  void wipe() {
    volatile char* p = s_.data();
    for (size_t i = 0; i < s_.size(); ++i) {
      p[i] = 0;
    }
    s_.clear();
  }
  std::string s_;
};

}  // namespace rm
