#include "oauth2/device_flow.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

namespace rm {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMaxLifetime = 3600;  // longer answers are read as an hour
constexpr int64_t kMaxInterval = 300;
constexpr size_t kMaxMessage = 500;

const std::string* string_member(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

bool printable_word(const std::string* s) {
  return s != nullptr && !s->empty() && s->size() <= 2048 &&
         std::all_of(s->begin(), s->end(), [](char c) {
           auto u = static_cast<unsigned char>(c);
           return u > 0x20 && u < 0x7f;
         });
}

// A number of seconds as a number or digits; nullopt when absent or neither.
std::optional<int64_t> seconds_member(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_number()) {
    return static_cast<int64_t>(std::clamp(it->get<double>(), -1.0, 1e9));
  }
  const std::string* s = string_member(j, key);
  if (s != nullptr && !s->empty() && s->size() <= 9 &&
      std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::stoll(*s);
  }
  return std::nullopt;
}

std::string sanitised_message(const std::string* s) {
  std::string out;
  if (s != nullptr) {
    for (char c : s->substr(0, kMaxMessage)) {
      auto u = static_cast<unsigned char>(c);
      out += u >= 0x20 && u < 0x7f ? c : '?';
    }
  }
  return out;
}

Error unusable(const std::string& account, const char* why) {
  return make_error(Errc::secret_unavailable,
                    "account %s: the device authorization endpoint's answer %s", account.c_str(),
                    why);
}

}  // namespace

std::vector<FormField> device_request_form(std::string_view client_id, const std::string& scope) {
  std::vector<FormField> form;
  form.push_back({"client_id", SecretString(std::string(client_id))});
  if (!scope.empty()) {
    form.push_back({"scope", SecretString(scope)});
  }
  return form;
}

Result<DeviceAuthorization> read_device_answer(long status, std::string_view body,
                                               const std::string& account) {
  if (auto refused = oauth_refusal(body); refused) {
    return make_error(status >= 500 ? Errc::secret_unavailable : Errc::config,
                      "account %s: the device authorization endpoint refused the request (%s): "
                      "check the account's oauth2 settings and the client's registration",
                      account.c_str(), refused->said.c_str());
  }
  if (status < 200 || status > 299) {
    return make_error(Errc::secret_unavailable,
                      "account %s: the device authorization endpoint answered HTTP %ld",
                      account.c_str(), status);
  }
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return unusable(account, "is not a JSON object");
  }
  const std::string* code = string_member(j, "device_code");
  const std::string* user = string_member(j, "user_code");
  const std::string* uri = string_member(j, "verification_uri");
  uri = uri != nullptr ? uri : string_member(j, "verification_url");
  if (!printable_word(code) || !printable_word(user) || !printable_word(uri)) {
    return unusable(account, "lacks a usable device_code, user_code or verification_uri");
  }
  std::optional<int64_t> expires = seconds_member(j, "expires_in");
  if (!expires || *expires <= 0) {
    return unusable(account, "lacks a usable expires_in");
  }
  DeviceAuthorization d;
  d.device_code = SecretString(*code);
  d.user_code = *user;
  d.verification_uri = *uri;
  if (const std::string* full = string_member(j, "verification_uri_complete");
      printable_word(full)) {
    d.verification_uri_complete = *full;
  }
  d.message = sanitised_message(string_member(j, "message"));
  d.expires_in = std::chrono::seconds(std::min(*expires, kMaxLifetime));
  if (std::optional<int64_t> interval = seconds_member(j, "interval"); interval) {
    d.interval = std::chrono::seconds(std::clamp<int64_t>(*interval, 0, kMaxInterval));
  }
  return d;
}

std::vector<FormField> device_token_form(const SecretString& device_code,
                                         std::string_view client_id,
                                         const SecretString& client_secret) {
  std::vector<FormField> form;
  form.push_back({"grant_type", SecretString("urn:ietf:params:oauth:grant-type:device_code")});
  form.push_back({"device_code", device_code});
  form.push_back({"client_id", SecretString(std::string(client_id))});
  if (!client_secret.empty()) {
    form.push_back({"client_secret", client_secret});
  }
  return form;
}

DevicePoll::DevicePoll(std::string account, const DeviceAuthorization& d, MonoTime start)
    : account_(std::move(account)),
      interval_(d.interval),
      lifetime_(d.expires_in),
      deadline_(start + d.expires_in) {}

DevicePoll::Step DevicePoll::first(MonoTime now) const {
  return wait_or_expire(now);
}

DevicePoll::Step DevicePoll::on_answer(long status, std::string_view body, MonoTime now) {
  std::optional<OAuthRefusal> refused = oauth_refusal(body);
  const std::string code = refused ? refused->code : "";
  const std::string said = refused ? refused->said : "";
  if (code == "authorization_pending") {
    return wait_or_expire(now);
  }
  if (code == "slow_down") {
    interval_ += kSlowDownStep;
    return wait_or_expire(now);
  }
  Step s;
  s.kind = Step::Kind::failed;
  if (code == "access_denied") {
    s.error = make_error(Errc::auth, "account %s: the authorization was refused (%s)",
                         account_.c_str(), said.c_str());
    return s;
  }
  if (code == "expired_token") {
    s.error = make_error(Errc::timeout,
                         "account %s: the code expired before the sign-in was completed (%s); "
                         "run the command again",
                         account_.c_str(), said.c_str());
    return s;
  }
  auto grant = read_authorization_answer(status, body, account_, "device code");
  if (!grant) {
    s.error = std::move(grant).error();
    return s;
  }
  s.kind = Step::Kind::granted;
  s.grant = std::move(*grant);
  return s;
}

DevicePoll::Step DevicePoll::wait_or_expire(MonoTime now) const {
  Step s;
  if (now + interval_ > deadline_) {
    s.kind = Step::Kind::failed;
    s.error = make_error(Errc::timeout,
                         "account %s: the code expired after %lld s before the sign-in was "
                         "completed; run the command again",
                         account_.c_str(), static_cast<long long>(lifetime_.count()));
    return s;
  }
  s.wait = std::chrono::duration_cast<Millis>(interval_);
  return s;
}

}  // namespace rm
