#include "tls/tls_client.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <chrono>
#include <optional>
#include <string>

#include "net/tcp_stream.h"
#include "support/fake_smtp_server.h"
#include "support/line_client.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "tls/ossl.h"

namespace rm {
namespace {

using std::chrono::steady_clock;
using test::FakeSmtpOptions;
using test::FakeSmtpServer;
using test::FakeTls;
using test::Fault;
using test::LeafFiles;
using test::TestPki;

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// Lowercase hex SHA-256 of a PEM certificate file's DER form.
std::string file_sha256(const std::string& path) {
  ossl::Ptr<BIO> in(BIO_new_file(path.c_str(), "r"));
  if (!in) {
    return {};
  }
  ossl::Ptr<X509> cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  return ossl::cert_sha256(cert.get());
}

std::string with_colons_upper(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); ++i) {
    if (i > 0 && i % 2 == 0) {
      out += ':';
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
  }
  return out;
}

// Counts the writes that reach the transport under a TlsStream.
class CountingStream final : public Stream {
 public:
  CountingStream(std::unique_ptr<Stream> inner, int* writes)
      : inner_(std::move(inner)), writes_(writes) {}
  Result<size_t> read_some(std::span<char> buf, Deadline d) override {
    return inner_->read_some(buf, d);
  }
  Status write_all(std::span<const char> data, Deadline d) override {
    ++*writes_;
    return inner_->write_all(data, d);
  }
  void close() override { inner_->close(); }
  std::string peer() const override { return inner_->peer(); }

 private:
  std::unique_ptr<Stream> inner_;
  int* writes_;
};

class TlsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = test::TempDir::create();
    ASSERT_TRUE(d) << d.error().what;
    dir_.emplace(std::move(*d));
    auto p = test::generate_test_pki(dir_->path());
    ASSERT_TRUE(p) << p.error().what;
    pki_ = *p;
  }

  std::unique_ptr<FakeSmtpServer> start_server(const LeafFiles& leaf, FakeSmtpOptions o = {}) {
    o.tls = FakeTls::implicit;
    o.cert_file = leaf.cert;
    o.key_file = leaf.key;
    auto s = std::make_unique<FakeSmtpServer>(std::move(o));
    auto r = s->start();
    EXPECT_TRUE(r) << r.error().what;
    return s;
  }

  static Result<std::unique_ptr<TlsStream>> connect(const FakeSmtpServer& s,
                                                    const std::string& host,
                                                    const TlsPolicy& policy,
                                                    Millis timeout = Millis(5000),
                                                    int* writes = nullptr) {
    auto client = TlsClient::create(policy);
    if (!client) {
      return std::move(client).error();
    }
    auto tcp = tcp_connect("127.0.0.1", s.port(), deadline_after(timeout));
    if (!tcp) {
      return std::move(tcp).error();
    }
    std::unique_ptr<Stream> inner = std::move(*tcp);
    if (writes != nullptr) {
      inner = std::make_unique<CountingStream>(std::move(inner), writes);
    }
    return (*client)->handshake(std::move(inner), host, deadline_after(timeout));
  }

  TlsPolicy trust_test_ca() const { return TlsPolicy{.ca_file = pki_.ca_file}; }

  std::optional<test::TempDir> dir_;
  TestPki pki_;
};

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
    EXPECT_EQ(info.peer_cert_sha256, file_sha256(pki_.good.cert));
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
      {.name = "key does not match",
       .policy = {.cert_file = pki_.good.cert, .key_file = pki_.ca_key},
       .error = Errc::config,
       .what = "mismatch"},
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
