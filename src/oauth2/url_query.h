// oauth2/url_query.h — the query strings of OAuth 2.0's browser leg: the authorization request
// URL built from name/value pairs (RFC 6749 §4.1.1; each name and value percent-encoded, all but
// RFC 3986's unreserved characters), and the query of the redirect the browser brings back read
// as application/x-www-form-urlencoded (§4.1.2: '+' is a space, %XX an octet).
// Contract: parse_query() is strict: nullopt for a bad %-escape, an empty name, or a name given
// twice (RFC 6749 §3.1: "parameters MUST NOT be included more than once").
// Pure; thread-safe. Not here: which parameters (oauth2/code_flow.h), the listener.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rm {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

std::string percent_encode(std::string_view s);
// `url` with `params` appended: after '?', or after '&' when `url` has a query already.
std::string with_query(const std::string& url, const QueryParams& params);
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);

}  // namespace rm
