#include "relay/connector.h"

#include "net/tcp_stream.h"
#include "relay/credentials.h"

namespace rm {
namespace {

// Whether another smarthost of the account may do better: not when the credentials or the
// configuration are wrong (the next host would get the same), yes for everything temporary
// or peculiar to one server (connect, TLS, timeouts, a 4xx or 5xx greeting, protocol).
bool worth_a_fallback(const Error& e) {
  return e.code != Errc::auth && e.code != Errc::config && e.code != Errc::secret_unavailable;
}

// The smarthost refused the credentials themselves (AUTH answered 5xx), as Gmail and Microsoft
// 365 answer a stale or revoked access token: 334 with a JSON report, then 535.
bool login_refused(const Error& e) {
  return e.code == Errc::auth && e.reply && e.reply->code >= 500 && e.reply->code < 600;
}

}  // namespace

Result<TlsClient*> NetConnector::tls_for(const Account& account) {
  auto it = tls_.find(account.name);
  if (it != tls_.end()) {
    return it->second.get();
  }
  TlsPolicy policy;
  policy.ca_file = account.tls_ca_file;
  policy.cert_file = account.tls_cert_file;
  policy.key_file = account.tls_key_file;
  policy.fingerprint_sha256 = account.tls_fingerprint;  // colons and case are ignored there
  auto client = TlsClient::create(policy);
  if (!client) {
    return std::move(client).error();
  }
  TlsClient* raw = client->get();
  tls_.emplace(account.name, std::move(*client));
  return raw;
}

Result<AccessToken> NetConnector::credential(const Account& account, const SecretString* refused) {
  if (!account.oauth2) {
    auto secret = fetch_secret(password_ref(account), keyring_);
    if (!secret) {
      return std::move(secret).error();
    }
    return AccessToken{std::move(*secret), false};
  }
  if (tokens_ == nullptr) {
    return make_error(Errc::secret_unavailable,
                      "account %s: OAuth2 access tokens are not available in this program",
                      account.name.c_str());
  }
  return tokens_->access_token(token_query(account), refused);
}

Result<std::unique_ptr<SmtpClient>> NetConnector::connect(const Account& account) {
  SmtpOptions opts;
  opts.helo_name = helo_name_;
  opts.tls = account.tls;
  opts.auth = account.auth;
  opts.user = account.user;
  opts.timeout = account.timeout;
  if (trace_) {
    opts.trace = [this](bool sent, std::string_view line) {
      std::lock_guard lock(trace_mu_);
      trace_(sent, line);
    };
  }
  TlsClient* tls = nullptr;
  bool cached_token = false;  // an access token from the cache: a refusal may mean it is stale
  {
    // A password command, the keyring or the token endpoint is asked once at a time; the
    // TlsClient is built once.
    std::lock_guard lock(mu_);
    if (!account.user.empty() && account.auth != AuthMethod::none) {
      auto secret = credential(account, nullptr);
      if (!secret) {
        return std::move(secret).error();
      }
      opts.password = std::move(secret->token);
      cached_token = account.oauth2 && !secret->refreshed;
    } else {
      opts.user.clear();
    }
    if (account.tls != TlsMode::none) {
      auto t = tls_for(account);
      if (!t) {
        return std::move(t).error();
      }
      tls = *t;
    }
  }
  auto client = connect_hosts(account, opts, tls);
  if (client || !cached_token || !login_refused(client.error())) {
    return client;
  }
  {
    // Once more with a new token; a refusal of that one is the smarthost's last word.
    std::lock_guard lock(mu_);
    auto fresh = credential(account, &opts.password);
    if (!fresh) {
      return std::move(fresh).error();
    }
    opts.password = std::move(fresh->token);
  }
  return connect_hosts(account, opts, tls);
}

Result<std::unique_ptr<SmtpClient>> NetConnector::connect_hosts(const Account& account,
                                                                SmtpOptions& opts, TlsClient* tls) {
  std::vector<std::string> hosts = account.hosts();
  std::string failures;  // "a: why; b: why" when there are fallbacks
  for (size_t i = 0; i < hosts.size(); ++i) {
    opts.host = hosts[i];
    auto client = connect_host(account, opts, tls);
    if (client) {
      return client;
    }
    Error e = std::move(client).error();
    if (hosts.size() > 1) {
      failures += (failures.empty() ? "" : "; ") + hosts[i] + ": " + e.what;
      e.what = failures;
    }
    if (i + 1 == hosts.size() || !worth_a_fallback(e)) {
      return e;
    }
  }
  return make_error(Errc::config, "account %s: no host", account.name.c_str());
}

Result<std::unique_ptr<SmtpClient>> NetConnector::connect_host(const Account& account,
                                                               const SmtpOptions& opts,
                                                               TlsClient* tls) {
  Deadline connect_by = deadline_after(std::chrono::duration_cast<Millis>(account.timeout));
  auto tcp = tcp_connect(opts.host, account.port, connect_by);
  if (!tcp) {
    return std::move(tcp).error();
  }
  std::unique_ptr<Stream> stream = std::move(*tcp);
  if (account.tls == TlsMode::tls) {
    auto secured = tls->handshake(std::move(stream), opts.host, connect_by);
    if (!secured) {
      return std::move(secured).error();
    }
    stream = std::move(*secured);
  }
  auto client = std::make_unique<SmtpClient>(std::move(stream), opts, tls);
  if (auto r = client->open(); !r) {
    client->quit();
    return std::move(r).error();
  }
  return client;
}

}  // namespace rm
