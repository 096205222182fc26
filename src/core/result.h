// core/result.h — Result<T>: our small expected<T, Error>, with the std::expected API subset we
// use (has_value, operator bool, value, error, *, ->, value_or). [[nodiscard]]; implicitly built
// from a T or an Error. Result<void> holds only the error. When we move to C++23 this becomes an
// alias of std::expected<T, Error>. Accessing the wrong alternative is a bug and aborts.
#pragma once

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.h"

namespace rm {

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& v) : v_(std::in_place_index<0>, v) {}  // NOLINT(google-explicit-constructor)
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}    // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT
  // clang-format off
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error> &&
             !std::is_same_v<std::decay_t<U>, Result<T>>)
  Result(U&& u)  // NOLINT(bugprone-forwarding-reference-overload,google-explicit-constructor)
      : v_(std::in_place_index<0>, std::forward<U>(u)) {}
  // clang-format on

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return check(), std::get<0>(v_); }
  const T& value() const& { return check(), std::get<0>(v_); }
  T&& value() && { return check(), std::move(std::get<0>(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    if (has_value()) {
      std::abort();
    }
    return std::get<1>(v_);
  }
  Error&& error() && {
    if (has_value()) {
      std::abort();
    }
    return std::move(std::get<1>(v_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const {
    if (!has_value()) {
      std::abort();
    }
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {
    if (!ok_) {
      std::abort();
    }
  }
  const Error& error() const& {
    if (ok_) {
      std::abort();
    }
    return err_;
  }
  Error&& error() && {
    if (ok_) {
      std::abort();
    }
    return std::move(err_);
  }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace rm
