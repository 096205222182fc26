#include "tls/session_cache.h"

#include <cctype>
#include <ctime>

namespace rm {
namespace {

// Host names compare case-insensitively (RFC 4343), as the certificate check does.
std::string key_of(const std::string& host) {
  std::string k = host;
  for (char& c : k) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return k;
}

bool expired(const SSL_SESSION* s) {
  return SSL_SESSION_get_time(s) + SSL_SESSION_get_timeout(s) <=
         static_cast<long>(std::time(nullptr));
}

}  // namespace

ossl::Ptr<SSL_SESSION> SessionCache::take(const std::string& host) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key_of(host));
  if (it == sessions_.end()) {
    return nullptr;
  }
  if (expired(it->second.get()) || !SSL_SESSION_is_resumable(it->second.get())) {
    sessions_.erase(it);
    return nullptr;
  }
  if (SSL_SESSION_get_protocol_version(it->second.get()) >= TLS1_3_VERSION) {
    ossl::Ptr<SSL_SESSION> once = std::move(it->second);
    sessions_.erase(it);
    return once;
  }
  if (SSL_SESSION_up_ref(it->second.get()) != 1) {
    return nullptr;
  }
  return ossl::Ptr<SSL_SESSION>(it->second.get());
}

void SessionCache::put(const std::string& host, ossl::Ptr<SSL_SESSION> session) {
  if (!session) {
    return;
  }
  std::lock_guard lock(mu_);
  std::string k = key_of(host);
  if (sessions_.size() >= kMaxHosts && sessions_.find(k) == sessions_.end()) {
    sessions_.erase(sessions_.begin());
  }
  sessions_[k] = std::move(session);
}

void SessionCache::drop(const std::string& host, const SSL_SESSION* session) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key_of(host));
  if (it != sessions_.end() && it->second.get() == session) {
    sessions_.erase(it);
  }
}

size_t SessionCache::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace rm
