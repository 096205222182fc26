// sys/user_db.h — the passwd entry of a uid (login name, GECOS, home), or a name's uid,
// without glibc's NSS in our own process. relaymail is linked statically for its start-up cost, and
// a static glibc's getpwuid() would dlopen NSS modules (systemd, sss, ldap) that must come from the
// very glibc it was linked with. So: when /etc/nsswitch.conf asks for `files` first (Debian's
// default, and glibc's when the file or its passwd line is missing), /etc/passwd is read here; a
// uid not found there, or any other order (sss first, compat), is asked of `getent passwd <uid>`,
// which does the full NSS lookup in a dynamic process of its own (stdin and stderr on /dev/null, an
// empty environment, at most kMaxGetentOutput bytes read). Errors: none are reported; nullopt when
// no source knows the uid or they cannot be read. Never logs. Thread-safe (no shared state);
// lookup_uid() may spawn a process. Not here: what the names are used for (context/context.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rm {

struct UserEntry {
  std::string name;
  std::string gecos;  // the whole field; callers take what they need of it
  std::string home;
  bool operator==(const UserEntry&) const = default;
};

// Where the lookup reads and what it runs; tests point these elsewhere.
struct UserDbPaths {
  std::string nsswitch = "/etc/nsswitch.conf";
  std::string passwd = "/etc/passwd";
  std::string getent = "/usr/bin/getent";
};

inline constexpr size_t kMaxGetentOutput = size_t{64} * 1024;

// One passwd(5) line "name:pw:uid:gid:gecos:home:shell" (trailing CR/LF allowed). nullopt for
// anything else: fewer than 7 fields, a uid that is not a plain number, an empty name, or a
// NIS compat entry ("+..." / "-...").
struct PasswdLine {
  UserEntry user;
  uint32_t uid = 0;
};
std::optional<PasswdLine> parse_passwd_line(std::string_view line);

// The first line of `passwd_text` whose uid is `uid`.
std::optional<UserEntry> find_uid(std::string_view passwd_text, uint32_t uid);

// True when the passwd database of `nsswitch_text` starts with the `files` source (or is not
// configured there at all, which means files to glibc).
bool passwd_files_first(std::string_view nsswitch_text);

std::optional<UserEntry> lookup_uid(uint32_t uid, const UserDbPaths& paths = {});

// The uid of the first line of `passwd_text` named `name`.
std::optional<uint32_t> find_name(std::string_view passwd_text, std::string_view name);
// The uid of user `name`, looked up as lookup_uid() does.
std::optional<uint32_t> lookup_name(const std::string& name, const UserDbPaths& paths = {});

}  // namespace rm
