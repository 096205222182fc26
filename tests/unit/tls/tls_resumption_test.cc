// Session resumption and client certificates (tls/session_cache.h, tls/tls_stream.h).
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/tcp_stream.h"
#include "support/fake_smtp_server.h"
#include "support/line_client.h"
#include "support/test_pki.h"
#include "tls/ossl.h"
#include "tls/session_cache.h"
#include "tls/tls_client.h"
#include "tls/tls_stream.h"
#include "unit/tls/tls_client_fixture.h"

namespace rm {
namespace {

using test::FakeSmtpOptions;
using test::FakeSmtpServer;
using test::LeafFiles;
using test::TestPki;
using test::TlsClientTest;

TEST_F(TlsClientTest, ResumesTheSessionOfTheSameHostOnly) {
  struct Conn {
    std::string host;
    bool resumed;
  };
  struct Case {
    const char* name;
    int max_version = 0;  // 0: TLS 1.3
    bool resume_sessions = true;
    std::vector<Conn> conns;
  };
  const Case cases[] = {
      {.name = "TLS 1.3, same host: each resumed connection brings the next ticket",
       .conns = {{"localhost", false}, {"localhost", true}, {"localhost", true}}},
      {.name = "TLS 1.2, same host: the session is kept",
       .max_version = TLS1_2_VERSION,
       .conns = {{"localhost", false}, {"localhost", true}, {"localhost", true}}},
      {.name = "TLS 1.3, another name of the same server is a new identity",
       .conns = {{"localhost", false}, {"relay.test", false}, {"localhost", true}}},
      {.name = "TLS 1.2, another name of the same server is a new identity",
       .max_version = TLS1_2_VERSION,
       .conns = {{"localhost", false}, {"relay.test", false}, {"localhost", true}}},
      {.name = "host names compare case-insensitively",
       .conns = {{"relay.test", false}, {"RELAY.Test", true}}},
      {.name = "IP literal (no SNI)", .conns = {{"127.0.0.1", false}, {"127.0.0.1", true}}},
      {.name = "resumption off",
       .resume_sessions = false,
       .conns = {{"localhost", false}, {"localhost", false}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto srv = start_server(pki_.good, FakeSmtpOptions{.max_tls_version = c.max_version});
    TlsPolicy policy = trust_test_ca();
    policy.resume_sessions = c.resume_sessions;
    auto client = TlsClient::create(policy);
    ASSERT_TRUE(client) << client.error().what;
    for (size_t i = 0; i < c.conns.size(); ++i) {
      SCOPED_TRACE("connection " + std::to_string(i + 1) + " to " + c.conns[i].host);
      auto info = send_one(**client, *srv, c.conns[i].host);
      ASSERT_TRUE(info) << info.error().what;
      EXPECT_EQ(info->resumed, c.conns[i].resumed);
      EXPECT_EQ(info->version, c.max_version == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
      // Resumed or not, the certificate is the one verified for this name.
      EXPECT_EQ(info->peer_cert_sha256, file_sha256(pki_.good.cert));
      ASSERT_TRUE(srv->wait_for_messages(i + 1, Millis(5000)));
      EXPECT_EQ(srv->messages()[i].tls_resumed, c.conns[i].resumed);
    }
    const std::string t = srv->transcript_text();
    EXPECT_EQ(contains(t, "session=resumed client=none"), c.conns.back().resumed) << t;
  }
}

TEST_F(TlsClientTest, PinnedClientResumesOnlyWhenThePinMatches) {
  struct Case {
    const char* name;
    LeafFiles TestPki::*leaf;
    std::string pin;  // the leaf whose fingerprint is pinned
    bool ok;
  };
  const Case cases[] = {
      {.name = "pinned self-signed",
       .leaf = &TestPki::self_signed,
       .pin = "self_signed",
       .ok = true},
      {.name = "pinned CA-issued", .leaf = &TestPki::good, .pin = "good", .ok = true},
      {.name = "pin does not match", .leaf = &TestPki::good, .pin = "self_signed", .ok = false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto srv = start_server(pki_.*(c.leaf));
    auto client =
        TlsClient::create(TlsPolicy{.fingerprint_sha256 = file_sha256(pki_.leaf(c.pin)->cert)});
    ASSERT_TRUE(client) << client.error().what;
    for (bool resumed : {false, true}) {
      auto info = send_one(**client, *srv, "localhost");
      if (!c.ok) {
        ASSERT_FALSE(info);
        EXPECT_EQ(info.error().code, Errc::tls_verify) << info.error().what;
        EXPECT_TRUE(contains(info.error().what, "does not match the pin")) << info.error().what;
        continue;
      }
      ASSERT_TRUE(info) << info.error().what;
      EXPECT_EQ(info->resumed, resumed);
      EXPECT_EQ(info->peer_cert_sha256, file_sha256((pki_.*(c.leaf)).cert));
    }
  }
}

// What happens to a cached session when the server behind the name changes: the new server
// cannot decrypt the ticket, so the handshake is a full one and verification decides; a
// failed handshake drops the session, so not even the old server resumes it afterwards.
TEST_F(TlsClientTest, SessionOfferedToAChangedServerIsNotTrusted) {
  struct Case {
    const char* name;
    int max_version;
    LeafFiles TestPki::*new_leaf;
    std::optional<Errc> error{};
  };
  const Case cases[] = {
      {.name = "TLS 1.3, new server with a bad certificate",
       .max_version = 0,
       .new_leaf = &TestPki::wrong_host,
       .error = Errc::tls_verify},
      {.name = "TLS 1.2, new server with a bad certificate",
       .max_version = TLS1_2_VERSION,
       .new_leaf = &TestPki::wrong_host,
       .error = Errc::tls_verify},
      {.name = "TLS 1.2, new server with an unknown CA",
       .max_version = TLS1_2_VERSION,
       .new_leaf = &TestPki::unknown_ca,
       .error = Errc::tls_verify},
      {.name = "TLS 1.3, new server with a good certificate",
       .max_version = 0,
       .new_leaf = &TestPki::good},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto old_srv = start_server(pki_.good, FakeSmtpOptions{.max_tls_version = c.max_version});
    auto new_srv =
        start_server(pki_.*(c.new_leaf), FakeSmtpOptions{.max_tls_version = c.max_version});
    auto client = TlsClient::create(trust_test_ca());
    ASSERT_TRUE(client) << client.error().what;
    auto first = send_one(**client, *old_srv, "localhost");
    ASSERT_TRUE(first) << first.error().what;
    auto changed = send_one(**client, *new_srv, "localhost");
    if (c.error) {
      ASSERT_FALSE(changed);
      EXPECT_EQ(changed.error().code, *c.error) << changed.error().what;
      auto again = send_one(**client, *old_srv, "localhost");
      ASSERT_TRUE(again) << again.error().what;
      EXPECT_FALSE(again->resumed);
      continue;
    }
    ASSERT_TRUE(changed) << changed.error().what;
    EXPECT_FALSE(changed->resumed);
  }
}

// A resumed session is checked like a new connection. Two contexts share one cache here (a
// TlsClient never does this: its policy is fixed), so that a session verified under one policy
// is offered under another: the resumption happens, the checks fail, the session is dropped.
TEST_F(TlsClientTest, ResumedSessionIsCheckedAgainAndDroppedOnFailure) {
  struct Case {
    const char* name;
    int max_version;
    LeafFiles TestPki::*leaf;
    bool first_pinned;  // else the second one is
    std::string what;
  };
  const Case cases[] = {
      {.name = "TLS 1.2: session of a pinned self-signed server, offered without the pin",
       .max_version = TLS1_2_VERSION,
       .leaf = &TestPki::self_signed,
       .first_pinned = true,
       .what = "self-signed"},
      {.name = "TLS 1.3: session of a pinned self-signed server, offered without the pin",
       .max_version = 0,
       .leaf = &TestPki::self_signed,
       .first_pinned = true,
       .what = "self-signed"},
      {.name = "TLS 1.2: CA-verified session offered with a pin it does not match",
       .max_version = TLS1_2_VERSION,
       .leaf = &TestPki::good,
       .first_pinned = false,
       .what = "does not match the pin"},
      {.name = "TLS 1.3: CA-verified session offered with a pin it does not match",
       .max_version = 0,
       .leaf = &TestPki::good,
       .first_pinned = false,
       .what = "does not match the pin"},
  };
  auto make_ctx = [&](bool pinned) {
    ossl::Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
    if (ctx) {
      (void)SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
      (void)SSL_CTX_load_verify_locations(ctx.get(), pki_.ca_file.c_str(), nullptr);
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, pinned ? &accept_any : nullptr);
      SslStream::enable_resumption(ctx.get());
    }
    return ctx;
  };
  const std::string self_signed_pin = file_sha256(pki_.self_signed.cert);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto srv = start_server(pki_.*(c.leaf), FakeSmtpOptions{.max_tls_version = c.max_version});
    auto cache = std::make_shared<SessionCache>();
    auto first_ctx = make_ctx(c.first_pinned);
    auto second_ctx = make_ctx(!c.first_pinned);
    ASSERT_TRUE(first_ctx && second_ctx);
    {
      auto tcp = tcp_connect("127.0.0.1", srv->port(), deadline_after(Millis(5000)));
      ASSERT_TRUE(tcp) << tcp.error().what;
      auto s = SslStream::connect(first_ctx.get(), std::move(*tcp), "localhost",
                                  deadline_after(Millis(5000)),
                                  c.first_pinned ? self_signed_pin : "", cache);
      ASSERT_TRUE(s) << s.error().what;
      test::LineClient lc(std::move(*s));
      ASSERT_TRUE(lc.reply());  // brings the TLS 1.3 tickets
      ASSERT_EQ(cache->size(), 1u);
    }
    auto tcp = tcp_connect("127.0.0.1", srv->port(), deadline_after(Millis(5000)));
    ASSERT_TRUE(tcp) << tcp.error().what;
    auto s = SslStream::connect(second_ctx.get(), std::move(*tcp), "localhost",
                                deadline_after(Millis(5000)), c.first_pinned ? "" : self_signed_pin,
                                cache);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::tls_verify) << s.error().what;
    EXPECT_TRUE(contains(s.error().what, c.what)) << s.error().what;
    EXPECT_EQ(cache->size(), 0u);
    ASSERT_TRUE(srv->wait_for_sessions_done(2, Millis(5000)));
    EXPECT_TRUE(contains(srv->transcript_text(2), "session=resumed")) << srv->transcript_text(2);
  }
}

TEST_F(TlsClientTest, StreamOutlivesItsClientAndStillTakesTickets) {
  auto srv = start_server(pki_.good);
  std::unique_ptr<TlsStream> s;
  {
    auto client = TlsClient::create(trust_test_ca());
    ASSERT_TRUE(client) << client.error().what;
    auto tcp = tcp_connect("127.0.0.1", srv->port(), deadline_after(Millis(5000)));
    ASSERT_TRUE(tcp) << tcp.error().what;
    auto h = (*client)->handshake(std::move(*tcp), "localhost", deadline_after(Millis(5000)));
    ASSERT_TRUE(h) << h.error().what;
    s = std::move(*h);
  }
  // The TLS 1.3 tickets are read now, with the TlsClient (and its SSL_CTX handle) gone.
  test::LineClient lc(std::move(s));
  auto greeting = lc.reply();
  ASSERT_TRUE(greeting) << greeting.error().what;
  ASSERT_TRUE(lc.send("QUIT\r\n"));
  EXPECT_TRUE(lc.reply());
}

TEST_F(TlsClientTest, ClientCertificateIsPresentedWhenAsked) {
  struct Case {
    const char* name;
    std::string server_ca;  // client_ca_file; "" asks for nothing
    bool with_cert;
    std::optional<Errc> error{};
    std::string subject{};  // what the server saw
  };
  const std::string kClient = "CN=relaymail test client,O=relaymail test";
  const Case cases[] = {
      {.name = "asked and presented",
       .server_ca = pki_.ca_file,
       .with_cert = true,
       .subject = kClient},
      {.name = "asked, none configured: still served",
       .server_ca = pki_.ca_file,
       .with_cert = false},
      {.name = "configured, not asked", .server_ca = "", .with_cert = true},
      {.name = "server trusts another CA",
       .server_ca = pki_.other_ca_file,
       .with_cert = true,
       .error = Errc::tls},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (int max_version : {0, TLS1_2_VERSION}) {
      SCOPED_TRACE(max_version == 0 ? "TLS 1.3" : "TLS 1.2");
      auto srv = start_server(pki_.good, FakeSmtpOptions{.max_tls_version = max_version,
                                                         .client_ca_file = c.server_ca});
      TlsPolicy policy = trust_test_ca();
      if (c.with_cert) {
        policy.cert_file = pki_.client.cert;
        policy.key_file = pki_.client.key;
      }
      auto client = TlsClient::create(policy);
      ASSERT_TRUE(client) << client.error().what;
      // Twice: a resumed session carries the client certificate of its full handshake.
      for (int i = 0; i < 2; ++i) {
        auto info = send_one(**client, *srv, "localhost");
        if (c.error) {
          ASSERT_FALSE(info);
          EXPECT_EQ(info.error().code, *c.error) << info.error().what;
          break;
        }
        ASSERT_TRUE(info) << info.error().what;
        EXPECT_EQ(info->resumed, i == 1);
        ASSERT_TRUE(srv->wait_for_messages(static_cast<size_t>(i + 1), Millis(5000)));
        EXPECT_EQ(srv->messages()[static_cast<size_t>(i)].tls_client_subject, c.subject);
        EXPECT_EQ(srv->messages()[static_cast<size_t>(i)].tls_resumed, i == 1);
      }
      if (!c.subject.empty()) {
        EXPECT_TRUE(contains(srv->transcript_text(), "session=new client=" + c.subject))
            << srv->transcript_text();
      }
    }
  }
}

}  // namespace
}  // namespace rm
