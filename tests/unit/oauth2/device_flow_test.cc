// Tests for oauth2/device_flow.h: the device authorization request and poll forms, every kind
// of device answer (RFC 8628 §3.2) and what it becomes, and the poller run over sequences of
// token-endpoint answers on simulated time: authorization_pending, slow_down (+5 s for good),
// access_denied, expired_token, the code's lifetime, slow requests, interval 0, and grants that
// are refused or lack a refresh token.
#include "oauth2/device_flow.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace rm {
namespace {

using std::chrono::seconds;
using Kind = DevicePoll::Step::Kind;

std::vector<std::pair<std::string, std::string>> fields(const std::vector<FormField>& form) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const FormField& f : form) {
    out.emplace_back(f.name, std::string(f.value.view()));
  }
  return out;
}

TEST(DeviceForms, RequestAndPoll) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(fields(device_request_form("cid", "SMTP.Send offline_access")),
            (P{{"client_id", "cid"}, {"scope", "SMTP.Send offline_access"}}));
  EXPECT_EQ(fields(device_request_form("cid", "")), (P{{"client_id", "cid"}}));
  EXPECT_EQ(fields(device_token_form(SecretString("dc-1"), "cid", SecretString())),
            (P{{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
               {"device_code", "dc-1"},
               {"client_id", "cid"}}));
  EXPECT_EQ(fields(device_token_form(SecretString("dc-1"), "cid", SecretString("cs"))).back(),
            (std::pair<std::string, std::string>{"client_secret", "cs"}));
}

struct DeviceCase {
  const char* name;
  long status = 200;
  std::string body;
  std::optional<Errc> error = std::nullopt;  // nullopt: read
  std::string error_has = {};
  std::string uri = {};
  std::string complete = {};
  std::string message = {};
  long expires_in = 0;
  long interval = 5;
};

TEST(ReadDeviceAnswer, Table) {
  const DeviceCase kCases[] = {
      {.name = "Microsoft's answer",
       .body = R"({"user_code":"ABCD-EFGH","device_code":"DAQABAAEAAAD","verification_uri":)"
               R"("https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":)"
               R"("To sign in, use a web browser to open the page."})",
       .uri = "https://microsoft.com/devicelogin",
       .message = "To sign in, use a web browser to open the page.",
       .expires_in = 900},
      {.name = "the older verification_url, numbers as strings, no interval",
       .body = R"({"user_code":"U","device_code":"D","verification_url":"https://g.co/device",)"
               R"("expires_in":"1800"})",
       .uri = "https://g.co/device",
       .expires_in = 1800},
      {.name = "verification_uri_complete; a long lifetime and interval clamped",
       .body = R"({"user_code":"U","device_code":"D","verification_uri":"https://i/d",)"
               R"("verification_uri_complete":"https://i/d?c=U","expires_in":99999,)"
               R"("interval":9999})",
       .uri = "https://i/d",
       .complete = "https://i/d?c=U",
       .expires_in = 3600,
       .interval = 300},
      {.name = "interval 0 is the server's word",
       .body = R"({"user_code":"U","device_code":"D","verification_uri":"https://i/d",)"
               R"("expires_in":60,"interval":0})",
       .uri = "https://i/d",
       .expires_in = 60,
       .interval = 0},
      {.name = "a message with a terminal escape",
       .body = R"({"user_code":"U","device_code":"D","verification_uri":"https://i/d",)"
               R"("expires_in":60,"message":"go \u001b[2J now"})",
       .uri = "https://i/d",
       .message = "go ?[2J now",
       .expires_in = 60},
      {.name = "no user_code",
       .body = R"({"device_code":"D","verification_uri":"https://i/d","expires_in":60})",
       .error = Errc::secret_unavailable,
       .error_has = "lacks a usable device_code, user_code or verification_uri"},
      {.name = "a user_code with a control character",
       .body = R"({"user_code":"A\u001bB","device_code":"D","verification_uri":"https://i/d",)"
               R"("expires_in":60})",
       .error = Errc::secret_unavailable,
       .error_has = "lacks a usable"},
      {.name = "no lifetime",
       .body = R"({"user_code":"U","device_code":"D","verification_uri":"https://i/d",)"
               R"("expires_in":0})",
       .error = Errc::secret_unavailable,
       .error_has = "lacks a usable expires_in"},
      {.name = "the client may not use the flow",
       .status = 400,
       .body = R"({"error":"invalid_client","error_description":"AADSTS7000218: no public"})",
       .error = Errc::config,
       .error_has = "account a: the device authorization endpoint refused the request "
                    "(invalid_client: AADSTS7000218: no public)"},
      {.name = "a 500 page",
       .status = 500,
       .body = "<html>",
       .error = Errc::secret_unavailable,
       .error_has = "answered HTTP 500"},
      {.name = "not JSON",
       .body = "device_code=D",
       .error = Errc::secret_unavailable,
       .error_has = "not a JSON object"},
  };
  for (const DeviceCase& c : kCases) {
    SCOPED_TRACE(c.name);
    auto d = read_device_answer(c.status, c.body, "a");
    if (c.error) {
      ASSERT_FALSE(d);
      EXPECT_EQ(d.error().code, *c.error);
      EXPECT_NE(d.error().what.find(c.error_has), std::string::npos) << d.error().what;
      continue;
    }
    ASSERT_TRUE(d) << d.error().what;
    EXPECT_EQ(d->verification_uri, c.uri);
    EXPECT_EQ(d->verification_uri_complete, c.complete);
    EXPECT_EQ(d->message, c.message);
    EXPECT_EQ(d->expires_in, seconds(c.expires_in));
    EXPECT_EQ(d->interval, seconds(c.interval));
  }
}

struct Answer {
  long status;
  std::string body;
  seconds took{0};  // how long the request took
};

Answer pending() {
  return {400, R"({"error":"authorization_pending"})"};
}
Answer slow_down() {
  return {400, R"({"error":"slow_down"})"};
}
Answer granted() {
  return {200, R"({"access_token":"at","token_type":"Bearer","expires_in":3600,)"
               R"("refresh_token":"rt-new"})"};
}

struct PollCase {
  const char* name;
  long interval = 5;
  long expires_in = 900;
  std::vector<Answer> answers;
  std::vector<long> waits;  // seconds, each wait before a poll
  Kind end = Kind::granted;
  std::optional<Errc> error = std::nullopt;
  std::string error_has = {};
};

TEST(DevicePoll, Sequences) {
  const PollCase kCases[] = {
      {.name = "granted at the first poll", .answers = {granted()}, .waits = {5}},
      {.name = "pending twice", .answers = {pending(), pending(), granted()}, .waits = {5, 5, 5}},
      {.name = "slow_down adds 5 s each time, for good",
       .answers = {pending(), slow_down(), pending(), slow_down(), granted()},
       .waits = {5, 5, 10, 10, 15}},
      {.name = "access_denied",
       .answers = {pending(), {400, R"({"error":"access_denied","error_description":"no"})"}},
       .waits = {5, 5},
       .end = Kind::failed,
       .error = Errc::auth,
       .error_has = "account a: the authorization was refused (access_denied: no)"},
      {.name = "expired_token",
       .answers = {{400, R"({"error":"expired_token"})"}},
       .waits = {5},
       .end = Kind::failed,
       .error = Errc::timeout,
       .error_has = "the code expired before the sign-in was completed (expired_token)"},
      {.name = "the lifetime ends the polling",
       .expires_in = 12,
       .answers = {pending(), pending()},
       .waits = {5, 5},
       .end = Kind::failed,
       .error = Errc::timeout,
       .error_has = "the code expired after 12 s"},
      {.name = "a lifetime shorter than the interval",
       .expires_in = 3,
       .answers = {},
       .waits = {},
       .end = Kind::failed,
       .error = Errc::timeout},
      {.name = "slow requests count against the lifetime",
       .expires_in = 20,
       .answers = {{400, R"({"error":"authorization_pending"})", seconds(4)},
                   {400, R"({"error":"authorization_pending"})", seconds(4)}},
       .waits = {5, 5},
       .end = Kind::failed,
       .error = Errc::timeout},
      {.name = "interval 0", .interval = 0, .answers = {pending(), granted()}, .waits = {0, 0}},
      {.name = "a grant without a refresh token",
       .answers = {{200, R"({"access_token":"at","token_type":"Bearer"})"}},
       .waits = {5},
       .end = Kind::failed,
       .error = Errc::config,
       .error_has = "issued no refresh token"},
      {.name = "the device code refused",
       .answers = {{400, R"({"error":"invalid_grant"})"}},
       .waits = {5},
       .end = Kind::failed,
       .error = Errc::grant_refused,
       .error_has = "refused the device code (invalid_grant); to try again, run: relaymail "
                    "oauth2 authorize a"},
      {.name = "the client refused",
       .answers = {{401, R"({"error":"invalid_client"})"}},
       .waits = {5},
       .end = Kind::failed,
       .error = Errc::config},
      {.name = "the endpoint is down",
       .answers = {{503, "<html>"}},
       .waits = {5},
       .end = Kind::failed,
       .error = Errc::secret_unavailable},
  };
  for (const PollCase& c : kCases) {
    SCOPED_TRACE(c.name);
    DeviceAuthorization d;
    d.interval = seconds(c.interval);
    d.expires_in = seconds(c.expires_in);
    MonoTime now{};
    DevicePoll poll("a", d, now);
    DevicePoll::Step s = poll.first(now);
    std::vector<long> waits;
    size_t polls = 0;
    while (s.kind == Kind::wait && polls < c.answers.size()) {
      waits.push_back(static_cast<long>(std::chrono::duration_cast<seconds>(s.wait).count()));
      now += s.wait + c.answers[polls].took;
      s = poll.on_answer(c.answers[polls].status, c.answers[polls].body, now);
      ++polls;
    }
    EXPECT_EQ(polls, c.answers.size());
    EXPECT_EQ(waits, c.waits);
    ASSERT_EQ(s.kind, c.end);
    if (c.end == Kind::granted) {
      EXPECT_EQ(s.grant.access_token.view(), "at");
      ASSERT_TRUE(s.grant.refresh_token);
      EXPECT_EQ(s.grant.refresh_token->view(), "rt-new");
    } else if (c.error) {
      EXPECT_EQ(s.error.code, *c.error) << s.error.what;
      EXPECT_NE(s.error.what.find(c.error_has), std::string::npos) << s.error.what;
    }
  }
}

}  // namespace
}  // namespace rm
