#include "cli/source_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/error.h"
#include "sys/fs.h"
#include "sys/secret_file.h"
#include "sys/trusted_dir.h"
#include "sys/user_db.h"

namespace rm::cli {
namespace {

using Level = SourceFinding::Level;

// Who takes the secrets: the caller, whose delivery runs as itself, or in daemon mode relaymaild
// as daemon.user (serve.cc: "" and "root" keep root).
struct Reader {
  bool daemon = false;
  std::string user;          // daemon.user as configured (daemon mode)
  std::optional<uid_t> uid;  // nullopt: daemon.user does not exist here
};

Reader reader_of(const Config& cfg) {
  Reader r;
  if (cfg.delivery != DeliveryMode::daemon) {
    r.uid = ::geteuid();
    return r;
  }
  r.daemon = true;
  r.user = cfg.daemon.user;
  if (r.user.empty() || r.user == "root") {
    r.uid = 0;
  } else if (auto uid = lookup_name(r.user)) {
    r.uid = static_cast<uid_t>(*uid);
  }
  return r;
}

// One account's one source, and where its findings go.
struct Source {
  const Account& account;
  const char* key;  // "password", "oauth2.client_secret", "oauth2.refresh_token"
  const PasswordSource& source;
};

class Checker {
 public:
  Checker(const Reader& reader, std::vector<SourceFinding>& out) : reader_(reader), out_(out) {}

  void check(const Source& s) {
    switch (s.source.kind) {
      case PasswordSource::Kind::none:
        return;
      case PasswordSource::Kind::file:
        return file(s);
      case PasswordSource::Kind::env:
        return env(s);
      case PasswordSource::Kind::credential:
        return credential(s);
      case PasswordSource::Kind::keyring:
        return add(Level::note, s, "keyring: not contacted by check (check --connect asks it)");
      case PasswordSource::Kind::command:
        return add(Level::note, s, "command: not run by check (check --connect runs it)");
    }
  }

 private:
  void add(Level level, const Source& s, const std::string& what) {
    out_.push_back({level, "account " + s.account.name + ": " + s.key + ": " + what});
  }

  // "account A: password file P: what" (the delivery's own wording for the file).
  void add_file(Level level, const Source& s, const std::string& what) {
    out_.push_back({level, "account " + s.account.name + ": " + s.key + " file " + s.source.value +
                               ": " + what});
  }

  // lstat(2) of a file delivery will open; nullopt when it cannot be looked at (said so).
  std::optional<PathFacts> look(const Source& s, const std::string& path, bool is_file) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      return PathFacts{st.st_mode, st.st_uid};
    }
    const int err = errno;
    std::string what;
    Level level = Level::warning;
    if (err == ENOENT) {
      // Set-up order: the config often comes before its secrets; delivery waits for them.
      what = is_file && reader_.daemon ? "not there yet; relaymaild will not start until it is"
                                       : "not there yet; delivery waits for it, the mail queued";
      if (std::strcmp(s.key, "oauth2.refresh_token") == 0) {
        what += " (relaymail oauth2 authorize " + s.account.name + " writes it)";
      }
    } else {
      what = format("cannot look at it: %s", std::strerror(err));
      if (reader_.daemon) {
        what += " (run check as root or as the daemon's user)";
      } else {
        level = Level::error;  // delivery, running as the caller, cannot either
      }
    }
    if (is_file) {
      add_file(level, s, what);
    } else {
      add(level, s, "credential " + path + ": " + what);
    }
    return std::nullopt;
  }

  void file(const Source& s) {
    const std::string& path = s.source.value;
    auto facts = look(s, path, true);
    if (!facts) {
      return;
    }
    // An unknown daemon.user has no uid to compare: the rules other than the owner's apply.
    const uid_t uid = reader_.uid.value_or(facts->owner);
    if (auto fault = secret_file_fault(*facts, uid); fault != SecretFileFault::none) {
      std::string what = secret_file_reason(fault, *facts, uid);
      if (fault == SecretFileFault::owner && reader_.daemon) {
        what += " (daemon.user \"" + reader_.user + "\", who reads it)";
      }
      return add_file(Level::error, s, what);
    }
    if (!reader_.daemon || !reader_.uid) {
      return;
    }
    // relaymaild refuses to start (and to reload) unless it alone, or root, can change the file
    // and every directory on the way (daemon/serve.cc).
    if (auto trusted = check_trusted_file(path, *reader_.uid); !trusted) {
      const Error& e = trusted.error();
      if (e.code == Errc::untrusted) {
        add_file(Level::error, s, "relaymaild refuses it: " + e.what);
      } else {
        add_file(Level::warning, s, e.what + " (run check as root or as the daemon's user)");
      }
    }
  }

  void env(const Source& s) {
    const std::string& name = s.source.value;
    const char* v = std::getenv(name.c_str());
    if (v != nullptr && *v != '\0') {
      return;
    }
    const char* state = v == nullptr ? "is not set" : "is empty";
    if (reader_.daemon) {
      // What counts is relaymaild's own environment, which check cannot see.
      add(Level::warning, s,
          "variable " + name + " " + state + " here (relaymaild reads its own environment)");
    } else {
      add(Level::error, s, "variable " + name + " " + state);
    }
  }

  void credential(const Source& s) {
    const std::string& name = s.source.value;
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') {
      add(Level::note, s,
          "credential " + name +
              ": CREDENTIALS_DIRECTORY is not set here (systemd sets it for a service with "
              "LoadCredential= or SetCredential=); not checked");
      return;
    }
    const std::string path = join_path(dir, name);
    auto facts = look(s, path, false);
    if (!facts) {
      return;
    }
    if (auto fault = secret_file_fault(*facts, std::nullopt); fault != SecretFileFault::none) {
      add(Level::error, s,
          "credential " + path + ": " + secret_file_reason(fault, *facts, std::nullopt));
    }
  }

  const Reader& reader_;
  std::vector<SourceFinding>& out_;
};

bool has_file_source(const Account& a) {
  auto is_file = [](const PasswordSource& p) { return p.kind == PasswordSource::Kind::file; };
  return is_file(a.password) ||
         (a.oauth2 && (is_file(a.oauth2->client_secret) || is_file(a.oauth2->refresh_token)));
}

}  // namespace

std::vector<SourceFinding> check_sources(const Config& cfg) {
  std::vector<SourceFinding> out;
  const Reader reader = reader_of(cfg);
  if (reader.daemon && !reader.uid) {
    for (const Account& a : cfg.accounts) {
      if (has_file_source(a)) {
        out.push_back(
            {Level::warning, "daemon.user \"" + reader.user +
                                 "\": no such user here, so the owner of password files is not "
                                 "checked (relaymaild started as root will not run without it)"});
        break;
      }
    }
  }
  Checker checker(reader, out);
  for (const Account& a : cfg.accounts) {
    checker.check({a, "password", a.password});
    if (a.oauth2) {
      checker.check({a, "oauth2.client_secret", a.oauth2->client_secret});
      checker.check({a, "oauth2.refresh_token", a.oauth2->refresh_token});
    }
  }
  return out;
}

}  // namespace rm::cli
