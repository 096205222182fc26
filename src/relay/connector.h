// relay/connector.h — opens a ready SMTP session to an account's smarthost: TCP connect (each
// address of the name in turn), implicit TLS when tls = "tls", then SmtpClient::open() for the
// greeting, EHLO, STARTTLS and AUTH. When that fails for a reason another server may not share
// (connect, TLS, timeout, a refusing greeting, a protocol error), the account's fallback hosts
// are tried in order; a refused login, a missing password or a configuration error ends the
// attempt at once. The password is fetched here, at delivery time only, once per connect(); for
// an account with oauth2 it is an access token from the TokenSource, and when the smarthost
// refuses a cached one (AUTH 5xx) a new one is asked for and the login tried once more.
// One TlsClient (SSL_CTX, with its TLS session cache) per account, built on first use.
// Errors are returned unclassified (relay/classify.h decides); with fallbacks the error is the
// last host's, its text naming every host tried. Never logs.
// Threads: connect() may be called from several threads at once (QueueRunner's workers, one
// SmtpClient each): the TlsClient map and the password fetch are serialised by a mutex, the
// TCP connect, handshake and login run in parallel (the SSL_CTX is shared read-only, its session
// cache has its own lock: tls/tls_client.h). The trace callback is called one line at a time,
// under a mutex of its own, from whichever thread drives the session: lines of concurrent
// sessions interleave. Each SmtpClient returned belongs to its caller and is not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/result.h"
#include "secrets/secret_store.h"
#include "secrets/token_source.h"
#include "smtp/smtp_client.h"
#include "tls/tls_client.h"

namespace rm {

class Connector {
 public:
  virtual ~Connector() = default;
  virtual Result<std::unique_ptr<SmtpClient>> connect(const Account& account) = 0;
};

class NetConnector final : public Connector {
 public:
  // `trace`, when set, sees every SMTP line of every session (AUTH payloads redacted): see
  // SmtpOptions::trace.
  // `keyring`, when set, answers password = { keyring = true; } (secrets/secret_store.h);
  // `tokens`, when set, gives the access tokens of accounts with oauth2 (without it their
  // connect fails with Errc::secret_unavailable). Both must outlive the connector.
  explicit NetConnector(std::string helo_name,
                        std::function<void(bool sent, std::string_view line)> trace = {},
                        SecretStore* keyring = nullptr, TokenSource* tokens = nullptr)
      : helo_name_(std::move(helo_name)),
        trace_(std::move(trace)),
        keyring_(keyring),
        tokens_(tokens) {}
  Result<std::unique_ptr<SmtpClient>> connect(const Account& account) override;

 private:
  // The password, or the access token of an account with oauth2 (`refused`: the one the
  // smarthost just refused). Called under mu_.
  Result<AccessToken> credential(const Account& account, const SecretString* refused);
  Result<std::unique_ptr<SmtpClient>> connect_hosts(const Account& account, SmtpOptions& opts,
                                                    TlsClient* tls);
  Result<TlsClient*> tls_for(const Account& account);
  Result<std::unique_ptr<SmtpClient>> connect_host(const Account& account, const SmtpOptions& opts,
                                                   TlsClient* tls);

  std::string helo_name_;
  std::function<void(bool sent, std::string_view line)> trace_;
  SecretStore* keyring_;
  TokenSource* tokens_;
  std::mutex trace_mu_;  // one trace_ call at a time
  std::mutex mu_;        // tls_, the password sources and the token source
  std::map<std::string, std::unique_ptr<TlsClient>> tls_;  // by account name
};

}  // namespace rm
