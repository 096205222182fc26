#include "oauth2/token_exchange.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

namespace rm {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxQuoted = 200;  // of an endpoint's error_description in our texts

bool printable_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

// An endpoint's words, safe for one log line: printable ASCII, at most kMaxQuoted octets.
std::string sanitised(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxQuoted)) {
    auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  return out;
}

const std::string* string_member(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

// expires_in as a number or a string of digits (some endpoints quote it); clamped to
// [0, kMaxExpiresIn]; absent or unreadable: kDefaultExpiresIn.
int64_t expires_in(const Json& j) {
  auto it = j.find("expires_in");
  if (it == j.end()) {
    return kDefaultExpiresIn;
  }
  double n = -1;
  if (it->is_number()) {
    n = it->get<double>();
  } else if (const std::string* s = string_member(j, "expires_in");
             s != nullptr && !s->empty() && s->size() <= 10 &&
             std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    n = static_cast<double>(std::stoll(*s));
  } else {
    return kDefaultExpiresIn;
  }
  return static_cast<int64_t>(std::clamp(n, 0.0, static_cast<double>(kMaxExpiresIn)));
}

Error refusal(const std::string& code, const Json& j, long status, const std::string& account) {
  const std::string* d = string_member(j, "error_description");
  std::string said = sanitised(code) + (d != nullptr && !d->empty() ? ": " + sanitised(*d) : "");
  if (code == "invalid_grant") {
    return make_error(Errc::grant_refused,
                      "account %s: the token endpoint refused the refresh token (%s); to "
                      "authorize again, run: %s",
                      account.c_str(), said.c_str(), authorize_command(account).c_str());
  }
  if (status >= 500 || status == 429 || code == "temporarily_unavailable" ||
      code == "server_error") {
    return make_error(Errc::secret_unavailable,
                      "account %s: the token endpoint answered HTTP %ld (%s)", account.c_str(),
                      status, said.c_str());
  }
  return make_error(Errc::config,
                    "account %s: the token endpoint refused the request (%s): check the "
                    "account's oauth2 settings and the client's registration",
                    account.c_str(), said.c_str());
}

Result<TokenGrant> grant_of(const Json& j, const std::string& account) {
  const std::string* access = string_member(j, "access_token");
  if (access == nullptr || !printable_token(*access)) {
    return make_error(Errc::secret_unavailable,
                      "account %s: the token endpoint's answer has no usable access_token",
                      account.c_str());
  }
  if (const std::string* type = string_member(j, "token_type"); type != nullptr) {
    std::string lower = *type;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "bearer") {
      return make_error(Errc::secret_unavailable,
                        "account %s: the token endpoint issued a \"%s\" token, not a Bearer token",
                        account.c_str(), sanitised(*type).c_str());
    }
  }
  TokenGrant g;
  g.access_token = SecretString(*access);
  g.expires_in = expires_in(j);
  if (j.contains("refresh_token")) {
    const std::string* rt = string_member(j, "refresh_token");
    if (rt == nullptr || !printable_token(*rt)) {
      return make_error(Errc::secret_unavailable,
                        "account %s: the token endpoint's answer has an unusable refresh_token",
                        account.c_str());
    }
    g.refresh_token = SecretString(*rt);
  }
  return g;
}

}  // namespace

std::vector<FormField> refresh_form(const SecretString& refresh_token, std::string_view client_id,
                                    const SecretString& client_secret) {
  std::vector<FormField> form;
  form.push_back({"grant_type", SecretString("refresh_token")});
  form.push_back({"refresh_token", refresh_token});
  form.push_back({"client_id", SecretString(std::string(client_id))});
  if (!client_secret.empty()) {
    form.push_back({"client_secret", client_secret});
  }
  return form;
}

Result<TokenGrant> read_token_answer(long status, std::string_view body,
                                     const std::string& account) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  const bool object = !j.is_discarded() && j.is_object();
  if (object) {
    if (const std::string* code = string_member(j, "error"); code != nullptr) {
      return refusal(*code, j, status, account);
    }
  }
  if (status < 200 || status > 299) {
    return make_error(Errc::secret_unavailable, "account %s: the token endpoint answered HTTP %ld",
                      account.c_str(), status);
  }
  if (!object) {
    return make_error(Errc::secret_unavailable,
                      "account %s: the token endpoint's answer is not a JSON object",
                      account.c_str());
  }
  return grant_of(j, account);
}

std::optional<OAuthRefusal> oauth_refusal(std::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  const std::string* code = string_member(j, "error");
  if (code == nullptr) {
    return std::nullopt;
  }
  const std::string* d = string_member(j, "error_description");
  return OAuthRefusal{*code,
                      sanitised(*code) + (d != nullptr && !d->empty() ? ": " + sanitised(*d) : "")};
}

Result<TokenGrant> read_authorization_answer(long status, std::string_view body,
                                             const std::string& account, const char* grant) {
  if (auto refused = oauth_refusal(body); refused && refused->code == "invalid_grant") {
    return make_error(Errc::grant_refused,
                      "account %s: the token endpoint refused the %s (%s); to try again, run: %s",
                      account.c_str(), grant, refused->said.c_str(),
                      authorize_command(account).c_str());
  }
  auto g = read_token_answer(status, body, account);
  if (g && !g->refresh_token) {
    return make_error(Errc::config,
                      "account %s: the token endpoint issued no refresh token: the scope must "
                      "grant offline access (Microsoft: offline_access)",
                      account.c_str());
  }
  return g;
}

std::string authorize_command(const std::string& account) {
  const bool plain = !account.empty() && std::all_of(account.begin(), account.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("._@+=:,/-").find(c) != std::string_view::npos;
  });
  std::string name = account;
  if (!plain) {
    name = "'";
    for (char c : account) {
      name += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    name += "'";
  }
  return "relaymail oauth2 authorize " + name;
}

}  // namespace rm
