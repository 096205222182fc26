#include "support/fake_sasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

namespace rm::test {
namespace {

using Kind = SaslServerStep::Kind;
using Key = std::array<unsigned char, 32>;

constexpr int kScramIterations = 4096;
constexpr char kBearerError[] =
    R"({"status":"401","schemes":"bearer","scope":"https://mail.fake.test/"})";

SaslServerStep challenge(std::string_view raw) {
  return {.kind = Kind::challenge, .challenge = sasl_b64_encode(raw)};
}
SaslServerStep success(std::string user) {
  return {.kind = Kind::success, .user = std::move(user)};
}
SaslServerStep failure() {
  return {.kind = Kind::failure};
}
SaslServerStep malformed() {
  return {.kind = Kind::malformed};
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return {};
  }
  return out;
}

std::string_view as_view(const Key& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

bool hmac256(std::string_view key, std::string_view data, Key* out) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out->data(),
              &len) != nullptr &&
         len == out->size();
}

bool equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) {
      return out;
    }
    s.remove_prefix(p + 1);
  }
}

// "k=value" → value, when the key matches.
std::optional<std::string_view> attr(std::string_view a, std::string_view key) {
  if (a.size() < key.size() + 1 || a.substr(0, key.size()) != key || a[key.size()] != '=') {
    return std::nullopt;
  }
  return a.substr(key.size() + 1);
}

// RFC 5802 saslname: "=2C" → ',', "=3D" → '='; any other '=' is malformed.
std::optional<std::string> unescape_saslname(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out += s[i];
    } else if (s.substr(i, 3) == "=2C") {
      out += ',';
      i += 2;
    } else if (s.substr(i, 3) == "=3D") {
      out += '=';
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// The RFC 5802/5801 GS2 header at the start of `msg`: "n,," / "y,," / "n,a=<saslname>,".
// Sets *authzid and *rest (what follows); false for channel binding ("p=") or garbage.
bool parse_gs2(std::string_view msg, std::string* header, std::optional<std::string>* authzid,
               std::string_view* rest) {
  if (msg.size() < 3 || (msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',') {
    return false;
  }
  size_t end = msg.find(',', 2);
  if (end == std::string_view::npos) {
    return false;
  }
  std::string_view az = msg.substr(2, end - 2);
  authzid->reset();
  if (!az.empty()) {
    auto v = attr(az, "a");
    if (!v) {
      return false;
    }
    auto name = unescape_saslname(*v);
    if (!name) {
      return false;
    }
    *authzid = *name;
  }
  *header = std::string(msg.substr(0, end + 1));
  *rest = msg.substr(end + 1);
  return true;
}

class PlainServer final : public FakeSaslExchange {
 public:
  PlainServer(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {}
  SaslServerStep start(std::optional<std::string_view> ir) override {
    return ir ? next(*ir) : challenge("");
  }
  SaslServerStep next(std::string_view response) override {
    auto raw = sasl_b64_decode(response);
    if (!raw) {
      return malformed();
    }
    // authzid NUL authcid NUL passwd; the authzid is ignored.
    size_t a = raw->find('\0');
    size_t b = a == std::string::npos ? a : raw->find('\0', a + 1);
    if (b == std::string::npos) {
      return malformed();
    }
    std::string user = raw->substr(a + 1, b - a - 1);
    if (user != user_ || !equal(std::string_view(*raw).substr(b + 1), password_)) {
      return failure();
    }
    return success(user);
  }

 private:
  std::string user_, password_;
};

class LoginServer final : public FakeSaslExchange {
 public:
  LoginServer(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {}
  SaslServerStep start(std::optional<std::string_view> ir) override {
    return ir ? next(*ir) : challenge("Username:");
  }
  SaslServerStep next(std::string_view response) override {
    auto raw = sasl_b64_decode(response);
    if (!raw) {
      return malformed();
    }
    if (!got_user_) {
      got_user_ = std::move(raw);
      return challenge("Password:");
    }
    if (*got_user_ != user_ || !equal(*raw, password_)) {
      return failure();
    }
    return success(*got_user_);
  }

 private:
  std::string user_, password_;
  std::optional<std::string> got_user_;
};

class CramMd5Server final : public FakeSaslExchange {
 public:
  CramMd5Server(std::string user, std::string password, const std::string& hostname)
      : user_(std::move(user)), password_(std::move(password)) {
    uint64_t r = 0;
    std::string rb = random_bytes(sizeof r);
    std::copy(rb.begin(), rb.end(), reinterpret_cast<char*>(&r));
    auto now = std::chrono::system_clock::now().time_since_epoch();
    challenge_ = "<" + std::to_string(r % 100000000) + "." +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count()) +
                 "@" + hostname + ">";
  }
  SaslServerStep start(std::optional<std::string_view> ir) override {
    if (ir) {
      return malformed();  // CRAM-MD5 has no initial response
    }
    return challenge(challenge_);
  }
  SaslServerStep next(std::string_view response) override {
    auto raw = sasl_b64_decode(response);
    size_t sp = raw ? raw->rfind(' ') : std::string::npos;
    if (sp == std::string::npos) {
      return malformed();
    }
    std::array<unsigned char, 16> mac{};
    unsigned int len = 0;
    if (HMAC(EVP_md5(), password_.data(), static_cast<int>(password_.size()),
             reinterpret_cast<const unsigned char*>(challenge_.data()), challenge_.size(),
             mac.data(), &len) == nullptr) {
      return failure();
    }
    std::string hex;
    for (unsigned char c : mac) {
      constexpr char kHex[] = "0123456789abcdef";
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    std::string user = raw->substr(0, sp);
    if (user != user_ || !equal(std::string_view(*raw).substr(sp + 1), hex)) {
      return failure();
    }
    return success(user);
  }

 private:
  std::string user_, password_, challenge_;
};

class ScramServer final : public FakeSaslExchange {
 public:
  ScramServer(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {}
  ~ScramServer() override {
    OPENSSL_cleanse(stored_key_.data(), stored_key_.size());
    OPENSSL_cleanse(server_key_.data(), server_key_.size());
  }
  SaslServerStep start(std::optional<std::string_view> ir) override {
    if (!ir) {
      return challenge("");  // the client-first comes as the answer to an empty challenge
    }
    return next(*ir);
  }
  SaslServerStep next(std::string_view response) override {
    auto raw = sasl_b64_decode(response);
    if (!raw) {
      return malformed();
    }
    switch (stage_++) {
      case 0:
        return on_client_first(*raw);
      case 1:
        return on_client_final(*raw);
      case 2:  // the empty answer to our v=
        return raw->empty() ? success(user_) : malformed();
      default:
        return malformed();
    }
  }

 private:
  SaslServerStep on_client_first(std::string_view msg) {
    std::optional<std::string> authzid;
    std::string_view bare;
    if (!parse_gs2(msg, &gs2_, &authzid, &bare)) {
      return malformed();
    }
    std::vector<std::string_view> a = split(bare, ',');
    auto name =
        a.size() >= 2 && attr(a[0], "n") ? unescape_saslname(*attr(a[0], "n")) : std::nullopt;
    auto cnonce = a.size() >= 2 ? attr(a[1], "r") : std::nullopt;
    if (!name || !cnonce || cnonce->empty()) {
      return malformed();
    }
    client_user_ = *name;
    client_first_bare_ = std::string(bare);
    const std::string salt = random_bytes(16);
    nonce_ = std::string(*cnonce) + sasl_b64_encode(random_bytes(18));
    server_first_ =
        "r=" + nonce_ + ",s=" + sasl_b64_encode(salt) + ",i=" + std::to_string(kScramIterations);
    Key salted{}, client_key{};
    unsigned int len = 0;
    bool ok = PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                                reinterpret_cast<const unsigned char*>(salt.data()),
                                static_cast<int>(salt.size()), kScramIterations, EVP_sha256(),
                                static_cast<int>(salted.size()), salted.data()) == 1 &&
              hmac256(as_view(salted), "Client Key", &client_key) &&
              EVP_Digest(client_key.data(), client_key.size(), stored_key_.data(), &len,
                         EVP_sha256(), nullptr) == 1 &&
              hmac256(as_view(salted), "Server Key", &server_key_);
    OPENSSL_cleanse(salted.data(), salted.size());
    OPENSSL_cleanse(client_key.data(), client_key.size());
    if (!ok) {
      return failure();
    }
    return challenge(server_first_);
  }

  SaslServerStep on_client_final(std::string_view msg) {
    size_t p = msg.rfind(",p=");
    if (p == std::string_view::npos) {
      return malformed();
    }
    const std::string_view without_proof = msg.substr(0, p);
    std::vector<std::string_view> a = split(without_proof, ',');
    auto proof = sasl_b64_decode(msg.substr(p + 3));
    if (a.size() < 2 || !attr(a[0], "c") || !attr(a[1], "r") || !proof) {
      return malformed();
    }
    if (*attr(a[0], "c") != sasl_b64_encode(gs2_) || *attr(a[1], "r") != nonce_ ||
        proof->size() != stored_key_.size()) {
      return failure();
    }
    const std::string auth_message =
        client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
    Key client_sig{}, client_key{}, check{}, server_sig{};
    unsigned int len = 0;
    bool ok = hmac256(as_view(stored_key_), auth_message, &client_sig);
    for (size_t i = 0; i < client_key.size(); ++i) {
      client_key[i] = static_cast<unsigned char>((*proof)[i]) ^ client_sig[i];
    }
    ok = ok &&
         EVP_Digest(client_key.data(), client_key.size(), check.data(), &len, EVP_sha256(),
                    nullptr) == 1 &&
         equal(as_view(check), as_view(stored_key_)) && client_user_ == user_ &&
         hmac256(as_view(server_key_), auth_message, &server_sig);
    OPENSSL_cleanse(client_key.data(), client_key.size());
    if (!ok) {
      return failure();
    }
    return challenge("v=" + sasl_b64_encode(as_view(server_sig)));
  }

  std::string user_, password_;
  int stage_ = 0;
  std::string gs2_, client_user_, client_first_bare_, nonce_, server_first_;
  Key stored_key_{}, server_key_{};
};

// XOAUTH2 and OAUTHBEARER: the token must equal the password, the user the configured one.
class BearerServer final : public FakeSaslExchange {
 public:
  BearerServer(bool oauthbearer, std::string user, std::string token)
      : oauthbearer_(oauthbearer), user_(std::move(user)), token_(std::move(token)) {}
  SaslServerStep start(std::optional<std::string_view> ir) override {
    return ir ? next(*ir) : challenge("");
  }
  SaslServerStep next(std::string_view response) override {
    if (error_sent_) {
      return failure();  // the client's answer to the error challenge (^A or empty)
    }
    auto raw = sasl_b64_decode(response);
    if (!raw) {
      return malformed();
    }
    std::optional<std::string> user;
    std::optional<std::string> token;
    if (!(oauthbearer_ ? parse_oauthbearer(*raw, &user, &token)
                       : parse_xoauth2(*raw, &user, &token))) {
      return malformed();
    }
    if (!token || !equal(*token, token_) || (user && *user != user_)) {
      error_sent_ = true;
      return challenge(kBearerError);
    }
    return success(user_);
  }

 private:
  // The ^A-separated key=value pairs up to the closing empty one; the token from auth=.
  static bool parse_pairs(std::string_view s, std::optional<std::string>* token,
                          std::optional<std::string>* user) {
    if (s.size() < 2 || s.substr(s.size() - 2) != "\x01\x01") {
      return false;
    }
    for (std::string_view kv : split(s.substr(0, s.size() - 2), '\x01')) {
      if (auto v = attr(kv, "auth")) {
        if (v->substr(0, 7) != "Bearer ") {
          return false;
        }
        *token = std::string(v->substr(7));
      } else if (auto u = attr(kv, "user"); u && user != nullptr) {
        *user = std::string(*u);
      }
    }
    return true;
  }
  static bool parse_xoauth2(std::string_view s, std::optional<std::string>* user,
                            std::optional<std::string>* token) {
    if (!attr(s, "user")) {
      return false;
    }
    return parse_pairs(s, token, user) && user->has_value();
  }
  static bool parse_oauthbearer(std::string_view s, std::optional<std::string>* user,
                                std::optional<std::string>* token) {
    std::string header;
    std::string_view rest;
    if (!parse_gs2(s, &header, user, &rest) || rest.empty() || rest[0] != '\x01') {
      return false;
    }
    return parse_pairs(rest.substr(1), token, nullptr);
  }

  bool oauthbearer_;
  std::string user_, token_;
  bool error_sent_ = false;
};

}  // namespace

std::unique_ptr<FakeSaslExchange> make_fake_sasl(std::string_view mechanism, std::string user,
                                                 std::string password, std::string hostname) {
  if (mechanism == "PLAIN") {
    return std::make_unique<PlainServer>(std::move(user), std::move(password));
  }
  if (mechanism == "LOGIN") {
    return std::make_unique<LoginServer>(std::move(user), std::move(password));
  }
  if (mechanism == "CRAM-MD5") {
    return std::make_unique<CramMd5Server>(std::move(user), std::move(password), hostname);
  }
  if (mechanism == "SCRAM-SHA-256") {
    return std::make_unique<ScramServer>(std::move(user), std::move(password));
  }
  if (mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER") {
    return std::make_unique<BearerServer>(mechanism == "OAUTHBEARER", std::move(user),
                                          std::move(password));
  }
  return nullptr;
}

std::string sasl_b64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

std::optional<std::string> sasl_b64_decode(std::string_view text) {
  // EVP_DecodeBlock skips white space and does not report padding, so check strictly first.
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  if (text.substr(0, text.size() - pad).find_first_not_of(kAlphabet) != std::string_view::npos) {
    return std::nullopt;
  }
  if (text.empty()) {
    return std::string();
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) {
    return std::nullopt;
  }
  out.resize(out.size() - pad);
  return out;
}

}  // namespace rm::test
