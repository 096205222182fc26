// oauth2/device_flow.h — the device authorization grant (RFC 8628) as data: the request to the
// device authorization endpoint (§3.1), its answer (§3.2), the polling form (§3.4), and
// DevicePoll, which reads each answer of the token endpoint (§3.5) and says what to do next.
// Contract: the request is client_id[, scope]. An answer needs a 2xx status, device_code,
// user_code and verification_uri (or the older "verification_url") in printable ASCII and
// expires_in > 0; interval absent: 5 s. authorization_pending waits `interval` again; slow_down
// adds 5 s to it for good; a poll that would come after expires_in ends the flow instead.
// Errors, "account A: ...": Errc::auth for access_denied; Errc::timeout for expired_token and
// the lifetime; otherwise read_authorization_answer()'s (oauth2/token_exchange.h). The device
// answer: Errc::config for an OAuth error (the client may not use the flow), else
// Errc::secret_unavailable. Pure; thread-safe. Not here: waiting, HTTPS (oauth2/authorizer.h).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/secret_string.h"
#include "oauth2/https_client.h"
#include "oauth2/token_exchange.h"

namespace rm {

inline constexpr std::chrono::seconds kDeviceInterval{5};  // §3.2: interval's default
inline constexpr std::chrono::seconds kSlowDownStep{5};    // §3.5: slow_down's increase

struct DeviceAuthorization {
  SecretString device_code;
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;  // "" when not given
  std::string message;                    // the server's instructions, sanitised; may be ""
  std::chrono::seconds expires_in{0};
  std::chrono::seconds interval = kDeviceInterval;
};

std::vector<FormField> device_request_form(std::string_view client_id, const std::string& scope);
Result<DeviceAuthorization> read_device_answer(long status, std::string_view body,
                                               const std::string& account);
// `client_secret` may be empty: a public client sends none.
std::vector<FormField> device_token_form(const SecretString& device_code,
                                         std::string_view client_id,
                                         const SecretString& client_secret);

class DevicePoll {
 public:
  struct Step {
    enum class Kind { wait, granted, failed };
    Kind kind = Kind::wait;
    Millis wait{0};    // wait: then poll again
    TokenGrant grant;  // granted
    Error error;       // failed
  };

  // `start`: when the device answer arrived; the code's lifetime counts from then.
  DevicePoll(std::string account, const DeviceAuthorization& d, MonoTime start);

  // Before the first poll: the user cannot have finished yet.
  Step first(MonoTime now) const;
  // The token endpoint's answer to a poll, read at `now`.
  Step on_answer(long status, std::string_view body, MonoTime now);

  std::chrono::seconds interval() const { return interval_; }

 private:
  Step wait_or_expire(MonoTime now) const;

  std::string account_;
  std::chrono::seconds interval_;
  std::chrono::seconds lifetime_;
  MonoTime deadline_;
};

}  // namespace rm
