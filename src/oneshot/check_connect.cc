#include "oneshot/check_connect.h"

#include <ctime>
#include <string>

#include "relay/connector.h"
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
  std::fprintf(out, "  tls: %s, %s%s\n", tls.version.c_str(), tls.cipher.c_str(),
               tls.resumed ? " (resumed)" : "");
  std::fprintf(out, "  certificate: %s\n", tls.peer_subject.c_str());
  std::fprintf(out, "  issuer: %s\n", tls.peer_issuer.c_str());
  if (!tls.peer_not_after.empty()) {
    long long days =
        (tls.peer_not_after_epoch - static_cast<long long>(std::time(nullptr))) / 86400;
    std::fprintf(out, "  expires: %s (%lld day%s)\n", tls.peer_not_after.c_str(), days,
                 days == 1 || days == -1 ? "" : "s");
  }
  std::fprintf(out, "  sha256: %s\n", tls.peer_cert_sha256.c_str());
}

bool check_account(const Account& a, NetConnector& connector, Logger& log, std::FILE* out) {
  std::string hosts;
  for (const std::string& h : a.hosts()) {
    hosts += (hosts.empty() ? "" : ", ") + h;
  }
  std::fprintf(out, "account %s: %s port %u, tls %s\n", a.name.c_str(), hosts.c_str(),
               static_cast<unsigned>(a.port), tls_mode_name(a.tls));
  auto client = connector.connect(a);
  if (!client) {
    std::fprintf(out, "  FAILED: %s\n", client.error().what.c_str());
    log.error("check: account %s: %s", a.name.c_str(), client.error().what.c_str());
    return false;
  }
  SmtpClient& c = **client;
  std::fprintf(out, "  connected: %s\n", c.peer().c_str());
  if (auto tls = c.tls_info()) {
    print_certificate(out, *tls);
  }
  std::fprintf(out, "  extensions: %s\n", joined(c.capabilities()).c_str());
  std::string mechs;
  for (const std::string& m : c.auth_offered()) {
    mechs += (mechs.empty() ? "" : " ") + m;
  }
  std::fprintf(out, "  auth offered: %s\n", mechs.empty() ? "(none)" : mechs.c_str());
  if (a.user.empty() || a.auth == AuthMethod::none) {
    std::fprintf(out, "  login: not configured\n");
  } else {
    std::string used = c.auth_mechanism();
    std::fprintf(out, "  login: %s as %s\n", used.empty() ? "?" : used.c_str(), a.user.c_str());
  }
  c.quit();
  std::fprintf(out, "  OK\n");
  return true;
}

}  // namespace

int check_connect(const Config& cfg, const Context& ctx, Logger& log, std::FILE* out,
                  SecretStore* keyring) {
  if (cfg.accounts.empty()) {
    std::fprintf(out, "no accounts configured\n");
    log.error("check: no accounts configured");
    return kExUnavailable;
  }
  if (auto h = keep_secrets_out_of_dumps(); !h) {
    log.warn("%s", h.error().what.c_str());
  }
  NetConnector connector(effective_hostname(cfg, ctx), {}, keyring);
  bool ok = true;
  for (const Account& a : cfg.accounts) {
    ok = check_account(a, connector, log, out) && ok;
  }
  return ok ? kExOk : kExUnavailable;
}

}  // namespace rm::oneshot
