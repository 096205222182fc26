#include "oauth2/https_client.h"

#include <curl/curl.h>
#include <dlfcn.h>

namespace rm {

struct HttpsClient::Curl {
  struct Unload {
    void operator()(void* handle) const { dlclose(handle); }
  };
  std::unique_ptr<void, Unload> lib;  // declared first: unloaded last
  bool initialised = false;
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_global_cleanup) global_cleanup = nullptr;
  decltype(&::curl_version_info) version_info = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_easy_escape) easy_escape = nullptr;
  decltype(&::curl_free) free = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;

  ~Curl() {
    if (initialised) {
      global_cleanup();
    }
  }
};

namespace {

using Curl = HttpsClient::Curl;

constexpr char kLibcurl[] = "libcurl.so.4";  // Debian's libcurl4 (OpenSSL flavour)
constexpr unsigned kMinVersion = 0x075500;   // 7.85: CURLOPT_PROTOCOLS_STR

template <class F>
bool bind(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  return fn != nullptr;
}

Result<std::unique_ptr<Curl>> load_curl() {
  auto c = std::make_unique<Curl>();
  c->lib.reset(dlopen(kLibcurl, RTLD_NOW | RTLD_LOCAL));
  if (!c->lib) {
    const char* why = dlerror();
    return make_error(Errc::config, "load %s: %s", kLibcurl, why != nullptr ? why : "?");
  }
  void* lib = c->lib.get();
  const bool bound =
      bind(lib, "curl_global_init", c->global_init) &&
      bind(lib, "curl_global_cleanup", c->global_cleanup) &&
      bind(lib, "curl_version_info", c->version_info) &&
      bind(lib, "curl_easy_init", c->easy_init) && bind(lib, "curl_easy_setopt", c->easy_setopt) &&
      bind(lib, "curl_easy_perform", c->easy_perform) &&
      bind(lib, "curl_easy_getinfo", c->easy_getinfo) &&
      bind(lib, "curl_easy_cleanup", c->easy_cleanup) &&
      bind(lib, "curl_easy_strerror", c->easy_strerror) &&
      bind(lib, "curl_easy_escape", c->easy_escape) && bind(lib, "curl_free", c->free) &&
      bind(lib, "curl_slist_append", c->slist_append) &&
      bind(lib, "curl_slist_free_all", c->slist_free_all);
  if (!bound) {
    return make_error(Errc::config, "load %s: a function is missing", kLibcurl);
  }
  const curl_version_info_data* v = c->version_info(CURLVERSION_NOW);
  if (v == nullptr || v->version_num < kMinVersion) {
    return make_error(Errc::config, "load %s: version %s, 7.85 or later is needed", kLibcurl,
                      v != nullptr ? v->version : "?");
  }
  if (c->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return make_error(Errc::io, "load %s: curl_global_init failed", kLibcurl);
  }
  c->initialised = true;
  return c;
}

struct EasyFree {
  const Curl* c;
  void operator()(CURL* h) const { c->easy_cleanup(h); }
};
struct HeadersFree {
  const Curl* c;
  void operator()(curl_slist* l) const { c->slist_free_all(l); }
};
// curl_easy_escape's result, wiped before it is freed: it may be a refresh token.
struct EscapedFree {
  const Curl* c;
  void operator()(char* p) const {
    volatile char* v = p;
    for (size_t i = 0; v[i] != '\0'; ++i) {
      v[i] = 0;
    }
    c->free(p);
  }
};
using Easy = std::unique_ptr<CURL, EasyFree>;
using Headers = std::unique_ptr<curl_slist, HeadersFree>;
using Escaped = std::unique_ptr<char, EscapedFree>;

// name=value&name=value, each percent-encoded; empty on a failing allocation.
SecretString encode_form(const Curl& c, const std::vector<FormField>& form) {
  size_t size = 0;
  for (const FormField& f : form) {
    size += 2 + 3 * (f.name.size() + f.value.size());
  }
  std::string out;
  out.reserve(size);  // no reallocation leaves a copy of a secret behind
  for (const FormField& f : form) {
    // Since 7.82 the handle argument is ignored: nullptr is what the manual suggests.
    Escaped name(c.easy_escape(nullptr, f.name.data(), static_cast<int>(f.name.size())), {&c});
    Escaped value(c.easy_escape(nullptr, f.value.view().data(), static_cast<int>(f.value.size())),
                  {&c});
    if (!name || !value) {
      return SecretString(std::string());
    }
    out += out.empty() ? "" : "&";
    out += name.get();
    out += '=';
    out += value.get();
  }
  return SecretString(std::move(out));
}

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

// Sets every option of the request; the first that libcurl refuses is returned.
CURLcode configure(const Curl& c, CURL* h, const HttpsPost& r, const SecretString& form,
                   curl_slist* headers, Sink* sink, char* errbuf) {
  const long timeout_ms =
      static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(r.timeout).count());
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption opt, auto value) {
    if (rc == CURLE_OK) {
      rc = c.easy_setopt(h, opt, value);
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
  set(CURLOPT_POSTFIELDS, form.view().data());  // not copied: the form outlives the transfer
  set(CURLOPT_WRITEFUNCTION, &on_data);
  set(CURLOPT_WRITEDATA, static_cast<void*>(sink));
  return rc;
}

}  // namespace

HttpsClient::HttpsClient() = default;
HttpsClient::~HttpsClient() = default;

Result<const Curl*> HttpsClient::curl() {
  if (!curl_) {
    auto loaded = load_curl();
    if (!loaded) {
      return std::move(loaded).error();
    }
    curl_ = std::move(*loaded);
  }
  return curl_.get();
}

Result<HttpsAnswer> HttpsClient::post(const HttpsPost& request) {
  const std::string url = url_for_humans(request.url);
  auto loaded = curl();
  if (!loaded) {
    Error e = std::move(loaded).error();
    e.what = "post " + url + ": " + e.what;
    return e;
  }
  const Curl& c = **loaded;
  Easy h(c.easy_init(), {&c});
  SecretString form = encode_form(c, request.form);
  // No "Expect: 100-continue" round trip before a long form: token endpoints take it at once.
  Headers headers(c.slist_append(nullptr, "Accept: application/json"), {&c});
  curl_slist* last = headers.get();
  for (const char* line : {"Content-Type: application/x-www-form-urlencoded", "Expect:"}) {
    last = last != nullptr ? c.slist_append(last, line) : nullptr;
  }
  if (!h || last == nullptr || (form.empty() && !request.form.empty())) {
    return make_error(Errc::io, "post %s: libcurl could not set the request up", url.c_str());
  }
  Sink sink;
  sink.max = request.max_answer;
  sink.body.reserve(request.max_answer);
  char errbuf[CURL_ERROR_SIZE] = {};
  CURLcode rc = configure(c, h.get(), request, form, headers.get(), &sink, errbuf);
  if (rc == CURLE_OK) {
    rc = c.easy_perform(h.get());
  }
  SecretString body(std::move(sink.body));
  if (sink.too_big) {
    return make_error(Errc::io, "post %s: the answer is larger than %zu octets", url.c_str(),
                      request.max_answer);
  }
  if (rc != CURLE_OK) {
    return make_error(errc_of(rc), "post %s: %s", url.c_str(),
                      errbuf[0] != '\0' ? errbuf : c.easy_strerror(rc));
  }
  long status = 0;
  (void)c.easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
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
