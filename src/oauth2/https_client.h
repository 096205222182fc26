// oauth2/https_client.h — one HTTPS POST of a form and its answer, through libcurl: the only HTTP
// relaymail speaks (OAuth 2.0 token requests). https only, redirects too; the certificate and
// host name always verified (the system store or `ca_file`), TLS 1.2 at least; connect and total
// time bounded by `timeout`; CURLOPT_NOSIGNAL; an answer over `max_answer` refused, not cut.
// Proxies are libcurl's (https_proxy, no_proxy).
// Contract: construct an HttpsClient before the threads that use it start (libcurl's global
// set-up, undone by the destructor); post() may then be called from any thread.
// Errors, "post URL: reason" (URL without its query or user): Errc::resolve, connect, timeout,
// tls_verify (certificate or name), tls (other handshake failures), config (a URL or CA file
// libcurl refuses), io (anything else, an answer too large). Never the form. Never logs.
// Not here: what the form and the answer mean (oauth2/token_exchange.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "core/result.h"
#include "core/secret_string.h"

namespace rm {

struct HttpsPost {
  std::string url;
  SecretString form;    // application/x-www-form-urlencoded, sent as is
  std::string ca_file;  // "" = the system trust store
  std::chrono::seconds timeout{60};
  size_t max_answer = size_t{64} * 1024;
};

struct HttpsAnswer {
  long status = 0;    // the HTTP status code
  SecretString body;  // may hold a token: wiped when done
};

class HttpsClient {
 public:
  HttpsClient();
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  Result<HttpsAnswer> post(const HttpsPost& request) const;

 private:
  bool ready_ = false;  // libcurl's global set-up succeeded
};

// "https://host/path" from a URL, without its query or fragment (what error texts show).
std::string url_for_humans(const std::string& url);

}  // namespace rm
