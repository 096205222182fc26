// relay/connector.h — opens a ready SMTP session to an account's smarthost: TCP connect (each
// address of the name in turn), implicit TLS when tls = "tls", then SmtpClient::open() for the
// greeting, EHLO, STARTTLS and AUTH. The password is fetched here, at delivery time only.
// One TlsClient (SSL_CTX) per account, built on first use. Errors are returned unclassified
// (relay/classify.h decides). Never logs. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/result.h"
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
  explicit NetConnector(std::string helo_name) : helo_name_(std::move(helo_name)) {}
  Result<std::unique_ptr<SmtpClient>> connect(const Account& account) override;

 private:
  Result<TlsClient*> tls_for(const Account& account);

  std::string helo_name_;
  std::map<std::string, std::unique_ptr<TlsClient>> tls_;  // by account name
};

}  // namespace rm
