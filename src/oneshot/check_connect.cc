#include "oneshot/check_connect.h"

#include <ctime>
#include <string>
#include <utility>

#include "oauth2/token_exchange.h"
#include "oauth2/token_provider.h"
#include "relay/connector.h"
#include "sys/fs.h"
#include "sys/hardening.h"
#include "sys/sysexits.h"

namespace rm::oneshot {
namespace {

std::string joined(const std::vector<std::string>& caps) {
  std::string out;
  for (const std::string& c : caps) {
    if (c.starts_with("AUTH")) {
      continue;
    }
    out += (out.empty() ? "" : ", ") + c;
  }
  return out.empty() ? "(none)" : out;
}

void print_certificate(std::FILE* out, const TlsInfo& tls) {
  (void)std::fprintf(out, "  tls: %s, %s%s\n", tls.version.c_str(), tls.cipher.c_str(),
                     tls.resumed ? " (resumed)" : "");
  (void)std::fprintf(out, "  certificate: %s\n", tls.peer_subject.c_str());
  (void)std::fprintf(out, "  issuer: %s\n", tls.peer_issuer.c_str());
  if (!tls.peer_not_after.empty()) {
    long long days =
        (tls.peer_not_after_epoch - static_cast<long long>(std::time(nullptr))) / 86400;
    (void)std::fprintf(out, "  expires: %s (%lld day%s)\n", tls.peer_not_after.c_str(), days,
                       days == 1 || days == -1 ? "" : "s");
  }
  (void)std::fprintf(out, "  sha256: %s\n", tls.peer_cert_sha256.c_str());
}

// The token source of the run, noting what its last answer was: the state `check --connect`
// reports for an OAuth2 account, never the token.
class TokenWitness final : public TokenSource {
 public:
  explicit TokenWitness(TokenSource& inner) : inner_(inner) {}

  Result<AccessToken> access_token(const TokenQuery& q, const SecretString* refused) override {
    auto t = inner_.access_token(q, refused);
    if (t) {
      state_ = t->refreshed ? "refreshed" : "fresh";
    } else {
      state_ = t.error().code == Errc::grant_refused
                   ? "refused (run: " + authorize_command(q.account) + ")"
                   : "not available";
    }
    return t;
  }

  // The state since the last take(); "" when no token was asked for.
  std::string take() { return std::exchange(state_, ""); }

 private:
  TokenSource& inner_;
  std::string state_;
};

void print_token_state(const Account& a, TokenWitness& tokens, std::FILE* out) {
  std::string state = tokens.take();
  if (a.oauth2 && !state.empty()) {
    (void)std::fprintf(out, "  oauth2 token: %s\n", state.c_str());
  }
}

bool check_account(const Account& a, NetConnector& connector, TokenWitness& tokens, Logger& log,
                   std::FILE* out) {
  std::string hosts;
  for (const std::string& h : a.hosts()) {
    hosts += (hosts.empty() ? "" : ", ") + h;
  }
  (void)std::fprintf(out, "account %s: %s port %u, tls %s\n", a.name.c_str(), hosts.c_str(),
                     static_cast<unsigned>(a.port), tls_mode_name(a.tls));
  auto client = connector.connect(a);
  print_token_state(a, tokens, out);
  if (!client) {
    (void)std::fprintf(out, "  FAILED: %s\n", client.error().what.c_str());
    // Secret and token errors name the account already.
    const std::string& what = client.error().what;
    const std::string prefix = "account " + a.name + ": ";
    const std::string line = what.rfind(prefix, 0) == 0 ? what : prefix + what;
    log.error("check: %s", line.c_str());
    return false;
  }
  SmtpClient& c = **client;
  (void)std::fprintf(out, "  connected: %s\n", c.peer().c_str());
  if (auto tls = c.tls_info()) {
    print_certificate(out, *tls);
  }
  (void)std::fprintf(out, "  extensions: %s\n", joined(c.capabilities()).c_str());
  std::string mechs;
  for (const std::string& m : c.auth_offered()) {
    mechs += (mechs.empty() ? "" : " ") + m;
  }
  (void)std::fprintf(out, "  auth offered: %s\n", mechs.empty() ? "(none)" : mechs.c_str());
  if (a.user.empty() || a.auth == AuthMethod::none) {
    (void)std::fprintf(out, "  login: not configured\n");
  } else {
    std::string used = c.auth_mechanism();
    (void)std::fprintf(out, "  login: %s as %s\n", used.empty() ? "?" : used.c_str(),
                       a.user.c_str());
  }
  c.quit();
  (void)std::fprintf(out, "  OK\n");
  return true;
}

}  // namespace

int check_connect(const Config& cfg, const Context& ctx, Logger& log, std::FILE* out,
                  SecretStore* keyring) {
  if (cfg.accounts.empty()) {
    (void)std::fprintf(out, "no accounts configured\n");
    log.error("check: no accounts configured");
    return kExUnavailable;
  }
  if (auto h = keep_secrets_out_of_dumps(); !h) {
    log.warn("%s", h.error().what.c_str());
  }
  // OAuth2 access tokens as delivery gets them: the cache beside the spool, refreshed when due.
  SystemClock clock;
  TokenProvider provider(join_path(effective_spool(cfg, ctx), "oauth2"), clock, keyring,
                         [&log](const std::string& line) { log.warn("%s", line.c_str()); });
  TokenWitness tokens(provider);
  NetConnector connector(effective_hostname(cfg, ctx), {}, keyring, &tokens);
  bool ok = true;
  for (const Account& a : cfg.accounts) {
    ok = check_account(a, connector, tokens, log, out) && ok;
  }
  return ok ? kExOk : kExUnavailable;
}

}  // namespace rm::oneshot
