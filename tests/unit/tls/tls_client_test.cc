#include "tls/tls_client.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

#include "net/tcp_stream.h"
#include "support/fake_smtp_server.h"
#include "support/line_client.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "tls/ossl.h"
#include "tls/tls_stream.h"
#include "unit/tls/tls_client_fixture.h"

namespace rm {
namespace {

using std::chrono::steady_clock;
using test::FakeSmtpOptions;
using test::FakeSmtpServer;
using test::FakeTls;
using test::Fault;
using test::LeafFiles;
using test::TestPki;
using test::TlsClientTest;

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) {
      old_ = old;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The system store (no ca_file) is OpenSSL's default set of anchors: SSL_CERT_FILE and
// SSL_CERT_DIR are honoured when set; without them it is the default hashed directory (or the
// default file), where the throwaway test CA never is.
TEST_F(TlsClientTest, SystemStoreHonoursSslCertFileAndDir) {
  auto dir = test::TempDir::create();
  ASSERT_TRUE(dir) << dir.error().what;
  ossl::Ptr<BIO> in(BIO_new_file(pki_.ca_file.c_str(), "r"));
  ossl::Ptr<X509> ca(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
  ASSERT_TRUE(ca);
  char hashed[32];
  std::snprintf(hashed, sizeof hashed, "%08lx.0", X509_subject_name_hash(ca.get()));
  std::filesystem::create_symlink(pki_.ca_file, dir->file(hashed));
  struct Case {
    const char* name;
    const char* cert_file;  // nullptr: unset
    const char* cert_dir;   // nullptr: unset
    bool verifies;
  };
  const Case cases[] = {
      {.name = "neither set", .cert_file = nullptr, .cert_dir = nullptr, .verifies = false},
      {.name = "SSL_CERT_FILE names the test CA",
       .cert_file = pki_.ca_file.c_str(),
       .cert_dir = nullptr,
       .verifies = true},
      {.name = "SSL_CERT_DIR holds it hashed",
       .cert_file = nullptr,
       .cert_dir = dir->path().c_str(),
       .verifies = true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ScopedEnv file_env(X509_get_default_cert_file_env(), c.cert_file);
    ScopedEnv dir_env(X509_get_default_cert_dir_env(), c.cert_dir);
    auto srv = start_server(pki_.good);
    auto s = connect(*srv, "localhost", TlsPolicy{});
    if (!c.verifies) {
      ASSERT_FALSE(s) << "handshake succeeded";
      EXPECT_EQ(s.error().code, Errc::tls_verify) << s.error().what;
      continue;
    }
    ASSERT_TRUE(s) << s.error().what;
    test::LineClient lc(std::move(*s));
    auto greeting = lc.reply();
    ASSERT_TRUE(greeting) << greeting.error().what;
  }
}

TEST_F(TlsClientTest, VerifiesCertificateAndHostOrRefuses) {
  struct Case {
    const char* name;
    LeafFiles TestPki::*leaf;
    std::string host;
    bool system_store = false;
    std::optional<Errc> error{};  // nullopt: must verify
    std::string what{};           // in Error::what
  };
  const Case cases[] = {
      {.name = "good, DNS name", .leaf = &TestPki::good, .host = "localhost"},
      {.name = "good, second DNS SAN", .leaf = &TestPki::good, .host = "relay.test"},
      {.name = "good, case-insensitive", .leaf = &TestPki::good, .host = "RELAY.Test"},
      {.name = "good, IPv4 SAN", .leaf = &TestPki::good, .host = "127.0.0.1"},
      {.name = "good, IPv6 SAN", .leaf = &TestPki::good, .host = "::1"},
      {.name = "good, bracketed IPv6", .leaf = &TestPki::good, .host = "[::1]"},
      {.name = "good, other name",
       .leaf = &TestPki::good,
       .host = "other.test",
       .error = Errc::tls_verify,
       .what = "hostname mismatch"},
      {.name = "good, other IP",
       .leaf = &TestPki::good,
       .host = "127.0.0.2",
       .error = Errc::tls_verify,
       .what = "IP address mismatch"},
      {.name = "IP literal is not matched against DNS names",
       .leaf = &TestPki::wrong_host,
       .host = "127.0.0.1",
       .error = Errc::tls_verify,
       .what = "IP address mismatch"},
      {.name = "wrong host",
       .leaf = &TestPki::wrong_host,
       .host = "localhost",
       .error = Errc::tls_verify,
       .what = "hostname mismatch"},
      {.name = "expired",
       .leaf = &TestPki::expired,
       .host = "localhost",
       .error = Errc::tls_verify,
       .what = "certificate has expired"},
      {.name = "not yet valid",
       .leaf = &TestPki::not_yet_valid,
       .host = "localhost",
       .error = Errc::tls_verify,
       .what = "not yet valid"},
      {.name = "self-signed",
       .leaf = &TestPki::self_signed,
       .host = "localhost",
       .error = Errc::tls_verify,
       .what = "self"},
      {.name = "CN without SAN is not a host name",
       .leaf = &TestPki::cn_only,
       .host = "localhost",
       .error = Errc::tls_verify,
       .what = "hostname mismatch"},
      {.name = "partial wildcard",
       .leaf = &TestPki::partial_wildcard,
       .host = "relay.example.com",
       .error = Errc::tls_verify,
       .what = "hostname mismatch"},
      {.name = "unknown CA",
       .leaf = &TestPki::unknown_ca,
       .host = "localhost",
       .error = Errc::tls_verify,
       .what = "unable to get local issuer certificate"},
      {.name = "NUL in CN, no SAN: the part before the NUL is not a name",
       .leaf = &TestPki::nul_cn,
       .host = "relay.test",
       .error = Errc::tls_verify,
       .what = "hostname mismatch"},
      {.name = "NUL in a DNS SAN: the part before the NUL is not a name",
       .leaf = &TestPki::nul_san,
       .host = "relay.test",
       .error = Errc::tls_verify,
       .what = "hostname mismatch"},
      {.name = "a client certificate is no server certificate",
       .leaf = &TestPki::client,
       .host = "localhost",
       .error = Errc::tls_verify,
       .what = "unsuitable certificate purpose"},
      {.name = "system store does not know the test CA",
       .leaf = &TestPki::good,
       .host = "localhost",
       .system_store = true,
       .error = Errc::tls_verify,
       .what = "unable to get local issuer certificate"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto srv = start_server(pki_.*(c.leaf));
    auto s = connect(*srv, c.host, c.system_store ? TlsPolicy{} : trust_test_ca());
    if (c.error) {
      ASSERT_FALSE(s) << "handshake succeeded";
      EXPECT_EQ(s.error().code, *c.error) << s.error().what;
      EXPECT_TRUE(contains(s.error().what, c.what)) << s.error().what;
      continue;
    }
    ASSERT_TRUE(s) << s.error().what;
    test::LineClient lc(std::move(*s));
    auto greeting = lc.reply();
    ASSERT_TRUE(greeting) << greeting.error().what;
    EXPECT_EQ(*greeting, "220 fake.test ESMTP relaymail fake");
  }
}

TEST_F(TlsClientTest, PinnedCertificateIsTheTrustAnchor) {
  struct Case {
    const char* name;
    LeafFiles TestPki::*leaf;
    std::string pin;
    std::optional<Errc> error{};
    std::string what{};
  };
  const std::string self_signed_fp = file_sha256(pki_.self_signed.cert);
  const std::string wrong_host_fp = file_sha256(pki_.wrong_host.cert);
  ASSERT_EQ(self_signed_fp.size(), 64u);
  const Case cases[] = {
      {.name = "pinned self-signed", .leaf = &TestPki::self_signed, .pin = self_signed_fp},
      {.name = "pin with colons, upper case",
       .leaf = &TestPki::self_signed,
       .pin = with_colons_upper(self_signed_fp)},
      {.name = "pin replaces the name check", .leaf = &TestPki::wrong_host, .pin = wrong_host_fp},
      {.name = "CA-valid certificate that is not the pinned one",
       .leaf = &TestPki::good,
       .pin = self_signed_fp,
       .error = Errc::tls_verify,
       .what = "does not match the pin"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto srv = start_server(pki_.*(c.leaf));
    auto s = connect(*srv, "localhost", TlsPolicy{.fingerprint_sha256 = c.pin});
    if (c.error) {
      ASSERT_FALSE(s);
      EXPECT_EQ(s.error().code, *c.error) << s.error().what;
      EXPECT_TRUE(contains(s.error().what, c.what)) << s.error().what;
      continue;
    }
    ASSERT_TRUE(s) << s.error().what;
    EXPECT_EQ((*s)->info().peer_cert_sha256, file_sha256((pki_.*(c.leaf)).cert));
    test::LineClient lc(std::move(*s));
    EXPECT_TRUE(lc.reply());
  }
  auto bad = TlsClient::create(TlsPolicy{.fingerprint_sha256 = "abc"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::config);
}

TEST_F(TlsClientTest, InfoReportsVersionCipherAndPeer) {
  struct Case {
    const char* name;
    int max_version;
    std::string version;  // empty: TLSv1.2 or TLSv1.3
  };
  const Case cases[] = {
      {.name = "server default", .max_version = 0, .version = ""},
      {.name = "TLS 1.2 server", .max_version = TLS1_2_VERSION, .version = "TLSv1.2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto srv = start_server(pki_.good, FakeSmtpOptions{.max_tls_version = c.max_version});
    auto s = connect(*srv, "localhost", trust_test_ca());
    ASSERT_TRUE(s) << s.error().what;
    TlsInfo info = (*s)->info();
    if (c.version.empty()) {
      EXPECT_TRUE(info.version == "TLSv1.3" || info.version == "TLSv1.2") << info.version;
    } else {
      EXPECT_EQ(info.version, c.version);
    }
    EXPECT_FALSE(info.cipher.empty());
    EXPECT_TRUE(contains(info.peer_subject, "CN=localhost")) << info.peer_subject;
    EXPECT_EQ(info.peer_issuer, "CN=relaymail test CA,O=relaymail test");
    EXPECT_EQ(info.peer_cert_sha256, file_sha256(pki_.good.cert));
    EXPECT_FALSE(info.resumed);
    // The test PKI issues leaves for 10 years from now (give or take a second).
    const int64_t now = std::time(nullptr);
    EXPECT_NEAR(static_cast<double>(info.peer_not_after_epoch - now), 3650.0 * 86400, 10.0);
    std::tm tm{};
    const std::time_t t = static_cast<std::time_t>(info.peer_not_after_epoch);
    ASSERT_NE(gmtime_r(&t, &tm), nullptr);
    char want[32];
    ASSERT_GT(std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm), 0u);
    EXPECT_EQ(info.peer_not_after, want);
    EXPECT_EQ((*s)->peer(), "127.0.0.1:" + std::to_string(srv->port()));
  }
}

TEST_F(TlsClientTest, HandshakeFailuresAreClassified) {
  struct Case {
    const char* name;
    FakeSmtpOptions server;
    std::string host = "localhost";
    Millis timeout{5000};
    Errc code;
    std::string what;
  };
  const Case cases[] = {
      {.name = "server stalls in the handshake",
       .server = {.tls = FakeTls::implicit,
                  .faults = {Fault{.verb = "TLS", .action = Fault::Action::stall}}},
       .timeout = Millis(300),
       .code = Errc::timeout,
       .what = "timed out"},
      {.name = "server aborts the handshake",
       .server = {.tls = FakeTls::implicit,
                  .faults = {Fault{.verb = "TLS", .action = Fault::Action::disconnect}}},
       .code = Errc::tls,
       .what = "TLS handshake with localhost"},
      {.name = "TLS 1.1 only server",
       .server = {.tls = FakeTls::implicit, .max_tls_version = TLS1_1_VERSION},
       .code = Errc::tls,
       .what = "protocol"},
      {.name = "TLS 1.0 only server",
       .server = {.tls = FakeTls::implicit, .max_tls_version = TLS1_VERSION},
       .code = Errc::tls,
       .what = "protocol"},
      {.name = "plaintext server",
       .server = {.tls = FakeTls::plain},
       .code = Errc::tls,
       .what = "TLS handshake"},
      {.name = "empty host name",
       .server = {.tls = FakeTls::implicit},
       .host = "",
       .code = Errc::tls,
       .what = "empty host name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSmtpOptions o = c.server;
    o.cert_file = pki_.good.cert;
    o.key_file = pki_.good.key;
    FakeSmtpServer srv(o);
    ASSERT_TRUE(srv.start());
    auto t0 = steady_clock::now();
    auto s = connect(srv, c.host, trust_test_ca(), c.timeout);
    auto took = steady_clock::now() - t0;
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, c.code) << s.error().what;
    EXPECT_TRUE(contains(s.error().what, c.what)) << s.error().what;
    EXPECT_LT(took, c.timeout + Millis(2000));
  }
}

// The refusals above come from the client's TLS 1.2 minimum: a client built to accept the old
// versions does get them from the same server.
TEST_F(TlsClientTest, ObsoleteServerReallySpeaksTheOldVersion) {
  struct Case {
    int max_version;
    std::string version;
  };
  const Case cases[] = {{TLS1_VERSION, "TLSv1"}, {TLS1_1_VERSION, "TLSv1.1"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.version);
    auto srv = start_server(pki_.good, FakeSmtpOptions{.max_tls_version = c.max_version});
    ossl::Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
    ASSERT_TRUE(ctx);
    SSL_CTX_set_security_level(ctx.get(), 0);
    ASSERT_EQ(SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT:@SECLEVEL=0"), 1);
    ASSERT_EQ(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION), 1);
    ASSERT_EQ(SSL_CTX_load_verify_locations(ctx.get(), pki_.ca_file.c_str(), nullptr), 1);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    auto tcp = tcp_connect("127.0.0.1", srv->port(), deadline_after(Millis(5000)));
    ASSERT_TRUE(tcp) << tcp.error().what;
    auto s =
        SslStream::connect(ctx.get(), std::move(*tcp), "localhost", deadline_after(Millis(5000)));
    ASSERT_TRUE(s) << s.error().what;
    EXPECT_EQ((*s)->info().version, c.version);
  }
}

TEST_F(TlsClientTest, CreateChecksPolicyFiles) {
  struct Case {
    const char* name;
    TlsPolicy policy{};
    std::optional<Errc> error{};
    std::string what{};
  };
  const Case cases[] = {
      {.name = "system store", .policy = {}},
      {.name = "CA file", .policy = {.ca_file = pki_.ca_file}},
      {.name = "client certificate",
       .policy = {.ca_file = pki_.ca_file, .cert_file = pki_.good.cert, .key_file = pki_.good.key}},
      {.name = "missing CA file",
       .policy = {.ca_file = pki_.dir + "/nope.pem"},
       .error = Errc::config,
       .what = "nope.pem"},
      {.name = "certificate without key",
       .policy = {.cert_file = pki_.good.cert},
       .error = Errc::config,
       .what = "go together"},
      {.name = "key without certificate",
       .policy = {.key_file = pki_.good.key},
       .error = Errc::config,
       .what = pki_.good.key},
      {.name = "unreadable certificate",
       .policy = {.cert_file = pki_.dir + "/nope.crt", .key_file = pki_.good.key},
       .error = Errc::config,
       .what = "nope.crt"},
      {.name = "unreadable key",
       .policy = {.cert_file = pki_.client.cert, .key_file = pki_.dir + "/nope.key"},
       .error = Errc::config,
       .what = "nope.key"},
      {.name = "key does not match",
       .policy = {.cert_file = pki_.good.cert, .key_file = pki_.ca_key},
       .error = Errc::config,
       .what = "mismatch"},
      {.name = "key does not match: the error names the key file",
       .policy = {.cert_file = pki_.client.cert, .key_file = pki_.ca_key},
       .error = Errc::config,
       .what = pki_.ca_key},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto client = TlsClient::create(c.policy);
    if (!c.error) {
      EXPECT_TRUE(client) << client.error().what;
      continue;
    }
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, *c.error) << client.error().what;
    EXPECT_TRUE(contains(client.error().what, c.what)) << client.error().what;
  }
}

TEST_F(TlsClientTest, SmallWritesStayInOneSegmentAndBigOnesAreNotSplitPerRecord) {
  auto srv = start_server(pki_.good);
  int writes = 0;
  auto s = connect(*srv, "localhost", trust_test_ca(), Millis(5000), &writes);
  ASSERT_TRUE(s) << s.error().what;
  test::LineClient lc(std::move(*s));
  ASSERT_TRUE(lc.reply());

  writes = 0;
  ASSERT_TRUE(lc.send("EHLO client.test\r\n"));
  EXPECT_EQ(writes, 1);
  ASSERT_TRUE(lc.reply());

  writes = 0;
  ASSERT_TRUE(lc.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"));
  EXPECT_EQ(writes, 1);
  for (const char* want : {"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"}) {
    auto r = lc.reply();
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ(*r, want);
  }
  std::string body;
  while (body.size() < 100000) {
    body += "0123456789012345678901234567890123456789012345678901234567890123456789012\r\n";
  }
  writes = 0;
  ASSERT_TRUE(lc.send(body + ".\r\n"));
  EXPECT_LE(writes, 2);  // seven TLS records, flushed in 64 KiB batches
  auto dot = lc.reply();
  ASSERT_TRUE(dot) << dot.error().what;
  EXPECT_EQ(dot->substr(0, 3), "250");
  ASSERT_TRUE(srv->wait_for_messages(1, Millis(5000)));
  EXPECT_EQ(srv->messages()[0].data, body);
  EXPECT_TRUE(srv->messages()[0].tls);
}

TEST_F(TlsClientTest, ImplicitTlsSendsNoPlaintextByte) {
  auto srv = start_server(pki_.good);
  int writes = 0;
  std::string first;
  auto client = TlsClient::create(trust_test_ca());
  ASSERT_TRUE(client) << client.error().what;
  auto tcp = tcp_connect("127.0.0.1", srv->port(), deadline_after(Millis(5000)));
  ASSERT_TRUE(tcp) << tcp.error().what;
  auto s = (*client)->handshake(std::make_unique<CountingStream>(std::move(*tcp), &writes, &first),
                                "localhost", deadline_after(Millis(5000)));
  ASSERT_TRUE(s) << s.error().what;
  // A TLS record: content type 22 (handshake), version 3.x, then a ClientHello (type 1).
  ASSERT_GE(first.size(), 6u);
  EXPECT_EQ(first[0], '\x16');
  EXPECT_EQ(first[1], '\x03');
  EXPECT_EQ(first[5], '\x01');
}

TEST_F(TlsClientTest, CloseSendsCloseNotifyAndPeerCloseIsEof) {
  auto srv = start_server(pki_.good);
  {
    auto s = connect(*srv, "localhost", trust_test_ca());
    ASSERT_TRUE(s) << s.error().what;
    test::LineClient lc(std::move(*s));
    ASSERT_TRUE(lc.reply());
    ASSERT_TRUE(lc.send("QUIT\r\n"));
    auto bye = lc.reply();
    ASSERT_TRUE(bye) << bye.error().what;
    EXPECT_EQ(*bye, "221 2.0.0 Bye");
    auto eof = lc.expect_eof();  // the server's close_notify
    EXPECT_TRUE(eof) << eof.error().what;
    lc.stream().close();
    lc.stream().close();  // idempotent
    char buf[4];
    auto r = lc.stream().read_some(buf, deadline_after(Millis(100)));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
  }
  {
    auto s = connect(*srv, "localhost", trust_test_ca());
    ASSERT_TRUE(s) << s.error().what;
    test::LineClient lc(std::move(*s));
    ASSERT_TRUE(lc.reply());
    lc.stream().close();  // close_notify reaches the server as a clean end of stream
  }
  ASSERT_TRUE(srv->wait_for_sessions_done(2, Millis(5000)));
  EXPECT_TRUE(contains(srv->transcript_text(2), "*: client closed the connection"))
      << srv->transcript_text(2);
}

TEST_F(TlsClientTest, ReadDeadlineInsideTls) {
  auto srv = start_server(
      pki_.good,
      FakeSmtpOptions{.faults = {Fault{.verb = "GREETING", .action = Fault::Action::stall}}});
  auto s = connect(*srv, "localhost", trust_test_ca());
  ASSERT_TRUE(s) << s.error().what;
  char buf[64];
  auto t0 = steady_clock::now();
  auto r = (*s)->read_some(buf, deadline_after(Millis(200)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout) << r.error().what;
  EXPECT_GE(steady_clock::now() - t0, Millis(199));
}

}  // namespace
}  // namespace rm
