// unit/tls/tls_client_fixture.h — what the TlsClient tests share: a fresh test PKI per test
// (support/test_pki.h), an implicit-TLS FakeSmtpServer with any leaf, one-shot and whole-session
// client helpers, and small certificate helpers. Test-only; every failure is a gtest failure or
// a returned Error. Not thread-safe.
#pragma once

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cctype>
#include <memory>
#include <optional>
#include <string>

#include "net/tcp_stream.h"
#include "support/fake_smtp_server.h"
#include "support/line_client.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "tls/ossl.h"
#include "tls/tls_client.h"

namespace rm::test {

class TlsClientTest : public ::testing::Test {
 public:
  static bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
  }

  // Lowercase hex SHA-256 of a PEM certificate file's DER form.
  static std::string file_sha256(const std::string& path) {
    rm::ossl::Ptr<BIO> in(BIO_new_file(path.c_str(), "r"));
    if (!in) {
      return {};
    }
    rm::ossl::Ptr<X509> cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    return rm::ossl::cert_sha256(cert.get());
  }

  static std::string with_colons_upper(const std::string& hex) {
    std::string out;
    for (size_t i = 0; i < hex.size(); ++i) {
      if (i > 0 && i % 2 == 0) {
        out += ':';
      }
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
    }
    return out;
  }

  // The verify callback of a pinned context: the pin decides after the handshake.
  static int accept_any(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

  // Counts the writes that reach the transport under a TlsStream and keeps the bytes of the
  // first one (what the server reads first).
  class CountingStream final : public Stream {
   public:
    CountingStream(std::unique_ptr<Stream> inner, int* writes, std::string* first = nullptr)
        : inner_(std::move(inner)), writes_(writes), first_(first) {}
    Result<size_t> read_some(std::span<char> buf, Deadline d) override {
      return inner_->read_some(buf, d);
    }
    Status write_all(std::span<const char> data, Deadline d) override {
      if (++*writes_ == 1 && first_ != nullptr) {
        first_->assign(data.data(), data.size());
      }
      return inner_->write_all(data, d);
    }
    void close() override { inner_->close(); }
    std::string peer() const override { return inner_->peer(); }

   private:
    std::unique_ptr<Stream> inner_;
    int* writes_;
    std::string* first_;
  };

 protected:
  void SetUp() override {
    auto d = TempDir::create();
    ASSERT_TRUE(d) << d.error().what;
    dir_.emplace(std::move(*d));
    auto p = generate_test_pki(dir_->path());
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

  // One whole SMTP session through `client`: handshake, greeting, one message, QUIT. Reading
  // the greeting is what delivers TLS 1.3 tickets to the client.
  static Result<TlsInfo> send_one(TlsClient& client, const FakeSmtpServer& s,
                                  const std::string& host) {
    auto tcp = tcp_connect("127.0.0.1", s.port(), deadline_after(Millis(5000)));
    if (!tcp) {
      return std::move(tcp).error();
    }
    auto tls = client.handshake(std::move(*tcp), host, deadline_after(Millis(5000)));
    if (!tls) {
      return std::move(tls).error();
    }
    const TlsInfo info = (*tls)->info();
    LineClient lc(std::move(*tls));
    for (const char* cmd : {"", "EHLO client.test\r\n", "MAIL FROM:<a@b.test>\r\n",
                            "RCPT TO:<c@d.test>\r\n", "DATA\r\n", "hi\r\n.\r\n", "QUIT\r\n"}) {
      if (*cmd != '\0') {
        if (auto w = lc.send(cmd); !w) {
          return std::move(w).error();
        }
      }
      auto r = lc.reply();
      if (!r) {
        return std::move(r).error();
      }
      if (r->empty() || (r->front() != '2' && r->front() != '3')) {
        return make_error(Errc::protocol, "after %s: %s", cmd, r->c_str());
      }
    }
    lc.stream().close();
    return info;
  }

  std::optional<TempDir> dir_;
  TestPki pki_;
};

}  // namespace rm::test
