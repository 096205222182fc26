#include "relay/credentials.h"

namespace rm {
namespace {

SecretRef::Kind kind_of(PasswordSource::Kind k) {
  switch (k) {
    case PasswordSource::Kind::none:
      return SecretRef::Kind::none;
    case PasswordSource::Kind::keyring:
      return SecretRef::Kind::keyring;
    case PasswordSource::Kind::file:
      return SecretRef::Kind::file;
    case PasswordSource::Kind::command:
      return SecretRef::Kind::command;
    case PasswordSource::Kind::env:
      return SecretRef::Kind::env;
    case PasswordSource::Kind::credential:
      return SecretRef::Kind::credential;
  }
  return SecretRef::Kind::none;
}

SecretRef ref_of(const Account& a, const PasswordSource& source, const char* service) {
  SecretRef r;
  r.kind = kind_of(source.kind);
  r.value = source.value;
  r.account = a.name;
  r.service = service;
  r.host = a.host;
  r.user = a.user;
  r.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(a.timeout);
  return r;
}

}  // namespace

SecretRef password_ref(const Account& a) {
  return ref_of(a, a.password, "smtp");
}

TokenQuery token_query(const Account& a) {
  const OAuth2Config& o = *a.oauth2;
  TokenQuery q;
  q.account = a.name;
  q.token_url = o.token_url;
  q.client_id = o.client_id;
  q.client_secret = ref_of(a, o.client_secret, kClientSecretService);
  q.refresh_token = ref_of(a, o.refresh_token, kRefreshTokenService);
  q.tls_ca_file = o.tls_ca_file;
  q.timeout = a.timeout;
  return q;
}

}  // namespace rm
