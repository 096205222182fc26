#include "oneshot/authorize_command.h"

#include <cstdio>

#include "oauth2/authorizer.h"
#include "oauth2/token_cache.h"
#include "relay/credentials.h"
#include "secrets/write_secret.h"
#include "sys/fs.h"
#include "sys/hardening.h"
#include "sys/sysexits.h"

namespace rm::oneshot {
namespace {

const Account* find_account(const Config& cfg, const std::string& name) {
  for (const Account& a : cfg.accounts) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

std::string source_text(const SecretRef& ref) {
  switch (ref.kind) {
    case SecretRef::Kind::env:
      return "an environment variable (" + ref.value + ")";
    case SecretRef::Kind::command:
      return "a command";
    case SecretRef::Kind::credential:
      return "a systemd credential (" + ref.value + ")";
    default:
      return "nowhere";
  }
}

int exit_for(const Error& e) {
  switch (e.code) {
    case Errc::auth:
      return kExNoPerm;
    case Errc::config:
    case Errc::usage:
      return kExConfig;
    default:
      return kExUnavailable;
  }
}

// The account, when it can be authorized here; else the failure, logged, as its exit status.
int check_account(const Account* a, const std::string& name, const Config& cfg, Logger& log) {
  if (a == nullptr) {
    log.error("oauth2 authorize: no account named '%s' in %s", name.c_str(), cfg.path.c_str());
    return kExConfig;
  }
  if (!a->oauth2) {
    log.error(
        "oauth2 authorize: account %s has no oauth2 group; give it one (auth = "
        "\"xoauth2\" with oauth2 = { provider; client_id; refresh_token; })",
        a->name.c_str());
    return kExConfig;
  }
  const SecretRef where = token_query(*a).refresh_token;
  if (!can_write_secret(where.kind)) {
    log.error(
        "oauth2 authorize: account %s: oauth2.refresh_token is read from %s, where "
        "relaymail cannot store the token; make it refresh_token = { file = \"/path\"; } "
        "or { keyring = true; } in %s and run this again",
        a->name.c_str(), source_text(where).c_str(), cfg.path.c_str());
    return kExConfig;
  }
  return kExOk;
}

Result<AuthorizeParams> params_of(const Account& a, SecretStore& keyring) {
  const OAuth2Config& o = *a.oauth2;
  AuthorizeParams p;
  p.account = a.name;
  p.token_url = o.token_url;
  p.device_url = o.device_url;
  p.authorize_url = o.authorize_url;
  p.scope = o.scope;
  p.client_id = o.client_id;
  p.tls_ca_file = o.tls_ca_file;
  p.timeout = a.timeout;
  const TokenQuery q = token_query(a);
  if (q.client_secret.kind != SecretRef::Kind::none) {
    auto secret = fetch_secret(q.client_secret, &keyring);
    if (!secret) {
      return std::move(secret).error();
    }
    p.client_secret = std::move(*secret);
  }
  return p;
}

std::string stored_where(const SecretRef& where, const SecretStore& keyring) {
  if (where.kind == SecretRef::Kind::file) {
    return where.value;
  }
  return std::string("the ") + keyring.backend() + ": service " + where.service + ", host " +
         where.host + ", user " + where.user;
}

// The cached access token belongs to the grant this one replaces.
void drop_cached(const Account& a, const Config& cfg, const Context& ctx, Logger& log) {
  if (Status dropped = TokenCache(join_path(effective_spool(cfg, ctx), "oauth2")).drop(a.name);
      !dropped) {
    log.warn("oauth2 authorize: account %s: the cached access token could not be dropped: %s",
             a.name.c_str(), dropped.error().what.c_str());
  }
}

}  // namespace

int oauth2_authorize(const std::string& account, const Config& cfg, const Context& ctx,
                     SecretStore& keyring, Logger& log) {
  const Account* a = find_account(cfg, account);
  if (int refused = check_account(a, account, cfg, log); refused != kExOk) {
    return refused;
  }
  if (auto h = keep_secrets_out_of_dumps(); !h) {
    log.warn("%s", h.error().what.c_str());
  }
  auto params = params_of(*a, keyring);
  if (!params) {
    log.error("oauth2 authorize: %s", params.error().what.c_str());
    return exit_for(params.error());
  }
  HttpsClient https;
  RealSleeper time;
  Authorizer authorizer(https, time, [](const std::string& line) {
    (void)std::printf("%s\n", line.c_str());
    (void)std::fflush(stdout);
  });
  auto grant = authorizer.run(*params);
  if (!grant) {
    log.error("oauth2 authorize: %s", grant.error().what.c_str());
    return exit_for(grant.error());
  }
  const SecretRef where = token_query(*a).refresh_token;
  if (Status saved = write_secret(where, *grant->refresh_token,
                                  "relaymail OAuth2 refresh token for " + a->name, &keyring);
      !saved) {
    log.error("oauth2 authorize: the refresh token was issued but not stored: %s",
              saved.error().what.c_str());
    return saved.error().code == Errc::io ? kExIoErr : exit_for(saved.error());
  }
  drop_cached(*a, cfg, ctx, log);
  (void)std::printf("account %s: authorized; the refresh token is stored in %s\n", a->name.c_str(),
                    stored_where(where, keyring).c_str());
  return kExOk;
}

}  // namespace rm::oneshot
