// oauth2/https_client.h — one HTTPS POST of a form and its answer, through libcurl: the only HTTP
// relaymail speaks (OAuth 2.0 token requests). libcurl is loaded (dlopen, libcurl.so.4, 7.85 or
// later) by the first post(), not linked: a relaymaild without OAuth2 accounts never maps it.
// Contract: https only, redirects too; the certificate and host name always verified (the system
// store or `ca_file`), TLS 1.2 at least; connect and total time bounded by `timeout`;
// CURLOPT_NOSIGNAL; an answer over `max_answer` refused, not cut; each form value percent-encoded
// by libcurl. Proxies are libcurl's (https_proxy, no_proxy).
// Errors, "post URL: reason" (URL without its query or user): Errc::resolve, connect, timeout,
// tls_verify (certificate or name), tls (other handshake failures), config (no usable libcurl,
// a URL or CA file it refuses), io (anything else, an answer too large). Never a form value.
// Never logs. Threads: one post() at a time per client. Not here: what the form and the answer
// mean (oauth2/token_exchange.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/secret_string.h"

namespace rm {

struct FormField {
  std::string name;
  SecretString value;
};

struct HttpsPost {
  std::string url;
  std::vector<FormField> form;  // sent as application/x-www-form-urlencoded
  std::string ca_file;          // "" = the system trust store
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
  ~HttpsClient();  // undoes libcurl's global set-up and unloads it, when post() loaded it
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  Result<HttpsAnswer> post(const HttpsPost& request);

  struct Curl;  // libcurl's entry points (https_client.cc)

 private:
  Result<const Curl*> curl();

  std::unique_ptr<Curl> curl_;
};

// "https://host/path" from a URL, without its query, fragment or user (what error texts show).
std::string url_for_humans(const std::string& url);

}  // namespace rm
