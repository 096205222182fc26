#include "oauth2/https_client.h"

#include <curl/curl.h>

#include <memory>

namespace rm {
namespace {

struct EasyFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct HeadersFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyFree>;
using Headers = std::unique_ptr<curl_slist, HeadersFree>;

// The answer as it arrives; more than `max` octets stops the transfer (CURLE_WRITE_ERROR).
struct Sink {
  std::string body;
  size_t max = 0;
  bool too_big = false;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (n > sink->max - sink->body.size()) {
    sink->too_big = true;
    return 0;
  }
  sink->body.append(data, n);  // reserved up front: no reallocation leaves a copy behind
  return n;
}

Errc errc_of(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Errc::resolve;
    case CURLE_COULDNT_CONNECT:
      return Errc::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return Errc::timeout;
    case CURLE_PEER_FAILED_VERIFICATION:
      return Errc::tls_verify;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CERTPROBLEM:
      return Errc::tls;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Errc::config;
    default:
      return Errc::io;
  }
}

Error curl_error(CURLcode rc, const char* detail, const std::string& url) {
  return make_error(errc_of(rc), "post %s: %s", url_for_humans(url).c_str(),
                    *detail != '\0' ? detail : curl_easy_strerror(rc));
}

// Sets every option of the request; the first that libcurl refuses is returned.
CURLcode configure(CURL* c, const HttpsPost& r, curl_slist* headers, Sink* sink, char* errbuf) {
  const long timeout_ms =
      static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(r.timeout).count());
  const std::string_view form = r.form.view();
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption opt, auto value) {
    if (rc == CURLE_OK) {
      rc = curl_easy_setopt(c, opt, value);
    }
  };
  set(CURLOPT_ERRORBUFFER, errbuf);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!r.ca_file.empty()) {
    set(CURLOPT_CAINFO, r.ca_file.c_str());
  }
  set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_URL, r.url.c_str());
  set(CURLOPT_USERAGENT, "relaymail");
  set(CURLOPT_HTTPHEADER, headers);
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form.size()));
  set(CURLOPT_POSTFIELDS, form.data());  // not copied: the form outlives the transfer
  set(CURLOPT_WRITEFUNCTION, &on_data);
  set(CURLOPT_WRITEDATA, static_cast<void*>(sink));
  return rc;
}

}  // namespace

HttpsClient::HttpsClient() : ready_(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {}

HttpsClient::~HttpsClient() {
  if (ready_) {
    curl_global_cleanup();
  }
}

Result<HttpsAnswer> HttpsClient::post(const HttpsPost& request) const {
  const std::string url = url_for_humans(request.url);
  Easy c(ready_ ? curl_easy_init() : nullptr);
  if (!c) {
    return make_error(Errc::io, "post %s: libcurl could not be set up", url.c_str());
  }
  curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
  Headers headers(list);
  // No "Expect: 100-continue" round trip before a long form: token endpoints take it at once.
  for (const char* h : {"Content-Type: application/x-www-form-urlencoded", "Expect:"}) {
    list = list != nullptr ? curl_slist_append(list, h) : nullptr;
  }
  if (list == nullptr) {
    return make_error(Errc::io, "post %s: out of memory", url.c_str());
  }
  Sink sink;
  sink.max = request.max_answer;
  sink.body.reserve(request.max_answer);
  char errbuf[CURL_ERROR_SIZE] = {};
  if (CURLcode rc = configure(c.get(), request, headers.get(), &sink, errbuf); rc != CURLE_OK) {
    return curl_error(rc, errbuf, request.url);
  }
  CURLcode rc = curl_easy_perform(c.get());
  SecretString body(std::move(sink.body));
  if (sink.too_big) {
    return make_error(Errc::io, "post %s: the answer is larger than %zu octets", url.c_str(),
                      request.max_answer);
  }
  if (rc != CURLE_OK) {
    return curl_error(rc, errbuf, request.url);
  }
  long status = 0;
  (void)curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  return HttpsAnswer{status, std::move(body)};
}

std::string url_for_humans(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  size_t scheme = out.find("://");
  size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  size_t at = out.find('@', host);
  if (at != std::string::npos && at < out.find('/', host)) {
    out.erase(host, at + 1 - host);  // user:password@ is nobody's business
  }
  return out;
}

}  // namespace rm
