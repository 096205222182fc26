#include "oauth2/code_flow.h"

#include "oauth2/url_query.h"

namespace rm {

std::string authorization_url(const CodeRequest& r) {
  QueryParams q = {
      {"client_id", r.client_id}, {"redirect_uri", r.redirect_uri}, {"response_type", "code"}};
  if (!r.scope.empty()) {
    q.emplace_back("scope", r.scope);
  }
  q.insert(q.end(), {{"code_challenge", r.code_challenge},
                     {"code_challenge_method", "S256"},
                     {"state", r.state},
                     {"access_type", "offline"},
                     {"prompt", "consent"}});
  return with_query(r.authorize_url, q);
}

std::vector<FormField> code_form(const SecretString& code, const std::string& redirect_uri,
                                 const SecretString& verifier, std::string_view client_id,
                                 const SecretString& client_secret) {
  std::vector<FormField> form;
  form.push_back({"grant_type", SecretString("authorization_code")});
  form.push_back({"code", code});
  form.push_back({"redirect_uri", SecretString(redirect_uri)});
  form.push_back({"code_verifier", verifier});
  form.push_back({"client_id", SecretString(std::string(client_id))});
  if (!client_secret.empty()) {
    form.push_back({"client_secret", client_secret});
  }
  return form;
}

}  // namespace rm
