#include "context/delivery_command.h"

namespace rm {

std::vector<std::string> encode(const DeliveryCommand& cmd) {
  std::vector<std::string> argv{"relaymaild", cmd.command};
  if (!cmd.config_path.empty()) {
    argv.insert(argv.end(), {"-C", cmd.config_path});
  }
  if (!cmd.name.empty()) {
    argv.insert(argv.end(), {"--name", cmd.name});
  }
  if (cmd.print) {
    argv.emplace_back("--print");
  }
  if (cmd.due_only) {
    argv.emplace_back("--due");
  }
  if (cmd.quiet_success) {
    argv.emplace_back("--quiet-success");
  }
  if (!cmd.log_to_stderr) {
    argv.emplace_back("--no-stderr");
  }
  if (!cmd.ids.empty()) {
    argv.emplace_back("--");  // an id never starts with '-', but a typo might
    argv.insert(argv.end(), cmd.ids.begin(), cmd.ids.end());
  }
  return argv;
}

Result<DeliveryCommand> decode(const std::vector<std::string>& argv) {
  if (argv.size() < 2) {
    return make_error(Errc::usage, "no command");
  }
  DeliveryCommand c;
  c.command = argv[1];
  bool ids_only = false;
  for (size_t i = 2; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    const bool has_value = i + 1 < argv.size();
    if (ids_only || a.empty() || a[0] != '-') {
      c.ids.push_back(a);
    } else if (a == "--") {
      ids_only = true;
    } else if ((a == "-C" || a == "--config") && has_value) {
      c.config_path = argv[++i];
    } else if (a == "--name" && has_value) {
      c.name = argv[++i];
    } else if (a == "--print") {
      c.print = true;
    } else if (a == "--due") {
      c.due_only = true;
    } else if (a == "--quiet-success") {
      c.quiet_success = true;
    } else if (a == "--no-stderr") {
      c.log_to_stderr = false;
    } else {
      return make_error(Errc::usage, "unknown option '%s'", a.c_str());
    }
  }
  const bool one_account = c.command == "password-set" || c.command == "password-clear" ||
                           c.command == "oauth2-authorize";
  if (c.command == "check-connect" && (!c.ids.empty() || c.print || c.due_only)) {
    return make_error(Errc::usage, "check-connect takes no ids or delivery options");
  }
  if (one_account && (c.ids.size() != 1 || c.print || c.due_only)) {
    return make_error(Errc::usage, "%s takes one account name and no delivery options",
                      c.command.c_str());
  }
  if (c.command != "flush" && c.command != "check-connect" && !one_account) {
    return make_error(Errc::usage, "unknown command '%s'", c.command.c_str());
  }
  return c;
}

}  // namespace rm
