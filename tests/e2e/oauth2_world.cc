#include "e2e/oauth2_world.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "support/test_pki.h"

namespace rm::e2e {

const std::string& access_token() {
  static const std::string kToken = "ya29.a0" + std::string(2500, 'Q');
  return kToken;
}

namespace {

SmtpdOptions smtpd_options() {
  SmtpdOptions o;
  o.password = access_token();  // the one bearer token it accepts
  o.flags = {"--auth-mechs", "XOAUTH2", "--max-line", "12288"};
  return o;
}

}  // namespace

OAuth2World::OAuth2World() : smtpd(w.dir(), smtpd_options()) {}

bool OAuth2World::start(const OAuth2Options& options) {
  if (!smtpd.start()) {
    ADD_FAILURE() << "fake_smtpd did not start";
    return false;
  }
  test::TestPki pki = test::test_pki_paths(smtpd.pki_dir());
  endpoint = std::make_unique<test::FakeTokenEndpoint>(pki.good.cert, pki.good.key);
  if (auto st = endpoint->start(); !st) {
    ADD_FAILURE() << st.error().what;
    return false;
  }
  write_file(refresh_token_file(), std::string(kRefreshToken) + "\n");
  write_file(w.dir() + "/client.secret", std::string(kClientSecret) + "\n");
  const std::string token_url = options.token_url.empty() ? endpoint->url() : options.token_url;
  const std::string client_secret = options.client_secret.empty()
                                        ? "{ file = \"" + w.dir() + "/client.secret\"; }"
                                        : options.client_secret;
  std::string c =
      "delivery = \"" + options.delivery + "\";\nspool = \"" + w.spool() +
      "\";\ndomain = \"example.com\";\nhostname = \"client.test\";\n"
      "log = { syslog = false; level = \"debug\"; file = \"" +
      log_file() +
      "\"; };\n"
      "accounts = ( {\n  name = \"gmail\";\n  host = \"localhost\";\n  port = " +
      std::to_string(smtpd.port()) + ";\n  tls = \"starttls\";\n  tls_ca_file = \"" + pki.ca_file +
      "\";\n  auth = \"xoauth2\";\n  user = \"demo\";\n"
      "  oauth2 = {\n    provider = \"custom\";\n    token_url = \"" +
      token_url + "\";\n    client_id = \"cid.apps\";\n    client_secret = " + client_secret +
      ";\n    refresh_token = { file = \"" + refresh_token_file() + "\"; };\n    tls_ca_file = \"" +
      pki.ca_file + "\";\n  };\n  timeout = \"" + options.timeout + "\";\n} );\n";
  if (options.delivery == "daemon") {
    c += "daemon = { socket = \"" + socket() + "\"; user = \"root\"; };\n";
  }
  return write_file(w.config_path(), c);
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

}  // namespace rm::e2e
