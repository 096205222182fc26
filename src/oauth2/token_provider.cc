#include "oauth2/token_provider.h"

#include "oauth2/token_exchange.h"
#include "secrets/password_source.h"
#include "secrets/write_secret.h"

namespace rm {
namespace {

// `e` with its text in the form "account A: <what>: <reason>", once.
Error about(Error e, const std::string& account, const char* what) {
  const std::string prefix = "account " + account + ": ";
  std::string reason = e.what.starts_with(prefix) ? e.what.substr(prefix.size()) : e.what;
  e.what = prefix + what + ": " + reason;
  return e;
}

const char* source_name(SecretRef::Kind kind) {
  switch (kind) {
    case SecretRef::Kind::command:
      return "a command";
    case SecretRef::Kind::env:
      return "an environment variable";
    case SecretRef::Kind::credential:
      return "a systemd credential";
    default:
      return "nowhere";
  }
}

}  // namespace

TokenProvider::TokenProvider(std::string cache_dir, const Clock& clock, SecretStore* keyring,
                             Warn warn)
    : cache_(std::move(cache_dir)), clock_(clock), keyring_(keyring), warn_(std::move(warn)) {}

Result<AccessToken> TokenProvider::access_token(const TokenQuery& q, const SecretString* refused) {
  std::lock_guard lock(mu_);
  auto cached = cache_.load(q.account);
  if (!cached) {
    return about(std::move(cached).error(), q.account, "oauth2 token cache");
  }
  if (*cached) {
    CachedToken& c = **cached;
    if (refused != nullptr && c.token.view() == refused->view()) {
      (void)cache_.drop(q.account);  // replaced below, or useless if the refresh fails
    } else if (c.expires_at - clock_.wall() > kRefreshMargin.count()) {
      return AccessToken{std::move(c.token), false};
    }
  }
  return refresh(q);
}

Result<AccessToken> TokenProvider::refresh(const TokenQuery& q) {
  auto rt = refresh_token(q);
  if (!rt) {
    return std::move(rt).error();
  }
  SecretString client_secret;
  if (q.client_secret.kind != SecretRef::Kind::none) {
    auto s = fetch_secret(q.client_secret, keyring_);
    if (!s) {
      return about(std::move(s).error(), q.account, "oauth2.client_secret");
    }
    client_secret = std::move(*s);
  }
  HttpsPost post{.url = q.token_url,
                 .form = refresh_form(*rt, q.client_id, client_secret),
                 .ca_file = q.tls_ca_file,
                 .timeout = q.timeout};
  const int64_t asked_at = clock_.wall();  // the token's lifetime counts from before the ask
  auto answer = https_.post(post);
  if (!answer) {
    return about(std::move(answer).error(), q.account, "token request");
  }
  auto grant = read_token_answer(answer->status, answer->body.view(), q.account);
  if (!grant) {
    if (grant.error().code == Errc::grant_refused) {
      rotated_.erase(q.account);  // dead: the source's token (authorized again?) is next
    }
    return std::move(grant).error();
  }
  if (grant->refresh_token && grant->refresh_token->view() != rt->view()) {
    keep_rotated(q, std::move(*grant->refresh_token));  // before the access token is used
  }
  CachedToken fresh{grant->access_token, asked_at + grant->expires_in};
  if (Status saved = cache_.save(q.account, fresh); !saved) {
    warn_once("cache " + q.account,
              format("account %s: the access token is used but not kept for the next run: %s",
                     q.account.c_str(), saved.error().what.c_str()));
  }
  return AccessToken{std::move(grant->access_token), true};
}

// The refresh token: one rotated in this process and not saved, else the source's.
Result<SecretString> TokenProvider::refresh_token(const TokenQuery& q) {
  if (auto it = rotated_.find(q.account); it != rotated_.end()) {
    return it->second;
  }
  auto rt = fetch_secret(q.refresh_token, keyring_);
  if (!rt) {
    return about(std::move(rt).error(), q.account, "oauth2.refresh_token");
  }
  if (rt->empty()) {
    return make_error(Errc::grant_refused,
                      "account %s: oauth2.refresh_token: empty; to authorize, run: %s",
                      q.account.c_str(), authorize_command(q.account).c_str());
  }
  return rt;
}

void TokenProvider::keep_rotated(const TokenQuery& q, SecretString rotated) {
  const SecretRef& where = q.refresh_token;
  const char* account = q.account.c_str();
  if (!can_write_secret(where.kind)) {
    warn_once(q.account,
              format("account %s: the token endpoint issued a new refresh token, which cannot be "
                     "saved (oauth2.refresh_token is read from %s) and is used only until this "
                     "process ends; to keep rotated tokens, make it { file = \"/path\"; } or "
                     "{ keyring = true; } and run: %s",
                     account, source_name(where.kind), authorize_command(q.account).c_str()));
    rotated_.insert_or_assign(q.account, std::move(rotated));
    return;
  }
  Status saved =
      write_secret(where, rotated, "relaymail OAuth2 refresh token for " + q.account, keyring_);
  if (!saved) {
    Error e = about(std::move(saved).error(), q.account, "saving the new refresh token failed");
    warn_once(q.account, e.what + "; it is used only until this process ends");
    rotated_.insert_or_assign(q.account, std::move(rotated));
    return;
  }
  rotated_.erase(q.account);
}

void TokenProvider::warn_once(const std::string& key, const std::string& line) {
  if (warned_.insert(key).second && warn_) {
    warn_(line);
  }
}

}  // namespace rm
