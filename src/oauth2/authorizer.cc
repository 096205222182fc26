#include "oauth2/authorizer.h"

#include <thread>

#include "oauth2/code_flow.h"
#include "oauth2/device_flow.h"
#include "oauth2/loopback_redirect.h"
#include "oauth2/pkce.h"

namespace rm {
namespace {

Error about(Error e, const std::string& account) {
  e.what = "account " + account + ": " + e.what;
  return e;
}

std::string minutes(std::chrono::seconds s) {
  auto m = (s.count() + 59) / 60;
  return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

}  // namespace

void RealSleeper::sleep_for(Millis d) {
  std::this_thread::sleep_for(d);
}

Result<TokenGrant> Authorizer::run(const AuthorizeParams& p) {
  if (!p.device_url.empty()) {
    return device_flow(p);
  }
  if (!p.authorize_url.empty()) {
    return browser_flow(p);
  }
  return make_error(Errc::config,
                    "account %s: no way to authorize: give oauth2.device_url (a device flow) or "
                    "oauth2.authorize_url (a browser flow)",
                    p.account.c_str());
}

Result<HttpsAnswer> Authorizer::post(const AuthorizeParams& p, const std::string& url,
                                     std::vector<FormField> form, const char* what) {
  HttpsPost req{
      .url = url, .form = std::move(form), .ca_file = p.tls_ca_file, .timeout = p.timeout};
  auto answer = https_.post(req);
  if (!answer) {
    Error e = std::move(answer).error();
    e.what = "account " + p.account + ": " + what + ": " + e.what;
    return e;
  }
  return answer;
}

Result<TokenGrant> Authorizer::device_flow(const AuthorizeParams& p) {
  auto answer = post(p, p.device_url, device_request_form(p.client_id, p.scope),
                     "device authorization request");
  if (!answer) {
    return std::move(answer).error();
  }
  auto d = read_device_answer(answer->status, answer->body.view(), p.account);
  if (!d) {
    return std::move(d).error();
  }
  say_("account " + p.account + ": to authorize relaymail, open " + d->verification_uri);
  say_("and enter the code: " + d->user_code);
  if (!d->verification_uri_complete.empty()) {
    say_("(or open " + d->verification_uri_complete + ")");
  }
  if (!d->message.empty()) {
    say_("the server says: " + d->message);
  }
  say_("waiting for the sign-in; the code expires in " + minutes(d->expires_in));
  DevicePoll poll(p.account, *d, time_.now());
  for (DevicePoll::Step s = poll.first(time_.now());;) {
    if (s.kind == DevicePoll::Step::Kind::granted) {
      return std::move(s.grant);
    }
    if (s.kind == DevicePoll::Step::Kind::failed) {
      return std::move(s.error);
    }
    time_.sleep_for(s.wait);
    auto polled =
        post(p, p.token_url, device_token_form(d->device_code, p.client_id, p.client_secret),
             "token request");
    if (!polled) {
      return std::move(polled).error();
    }
    s = poll.on_answer(polled->status, polled->body.view(), time_.now());
  }
}

Result<TokenGrant> Authorizer::browser_flow(const AuthorizeParams& p) {
  auto pkce = make_pkce();
  auto state = pkce ? random_state() : Result<std::string>(pkce.error());
  auto listener = state ? LoopbackRedirect::open() : Result<LoopbackRedirect>(state.error());
  if (!listener) {
    return about(std::move(listener).error(), p.account);
  }
  CodeRequest r{.authorize_url = p.authorize_url,
                .client_id = p.client_id,
                .redirect_uri = listener->redirect_uri(),
                .scope = p.scope,
                .state = *state,
                .code_challenge = pkce->challenge};
  say_("account " + p.account +
       ": to authorize relaymail, open this URL in a browser on this "
       "machine:");
  say_(authorization_url(r));
  say_("waiting for the browser on " + r.redirect_uri + " for " +
       minutes(std::chrono::duration_cast<std::chrono::seconds>(p.browser_wait)));
  auto code = listener->wait(*state, deadline_after(p.browser_wait));
  if (!code) {
    return about(std::move(code).error(), p.account);
  }
  auto answer = post(p, p.token_url,
                     code_form(*code, r.redirect_uri, pkce->verifier, p.client_id, p.client_secret),
                     "token request");
  if (!answer) {
    return std::move(answer).error();
  }
  return read_authorization_answer(answer->status, answer->body.view(), p.account,
                                   "authorization code");
}

}  // namespace rm
