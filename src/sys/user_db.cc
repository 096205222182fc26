#include "sys/user_db.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <vector>

#include "core/strings.h"
#include "sys/fs.h"
#include "sys/unique_fd.h"

namespace rm {

namespace {

constexpr size_t kMaxConfigFile = size_t{1} << 20;  // /etc/passwd, /etc/nsswitch.conf
constexpr size_t kPasswdFields = 7;

// `text` split at '\n', one call of fn per line (the last one may lack its '\n').
template <class Fn>
void for_each_line(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!fn(line)) {
      return;
    }
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// `getent passwd <key>`'s output (key: a uid or a name), or "" when it could not be run.
std::string run_getent(const std::string& key, const std::string& getent) {
  std::array<int, 2> p{};
  if (::pipe2(p.data(), O_CLOEXEC) != 0) {
    return {};
  }
  UniqueFd rd(p[0]);
  UniqueFd wr(p[1]);
  std::string uid_text = key;
  std::string arg0 = "getent";
  std::string arg1 = "passwd";
  std::array<char*, 4> argv = {arg0.data(), arg1.data(), uid_text.data(), nullptr};
  std::array<char*, 1> envp = {nullptr};
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, wr.get(), 1);
  ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, getent.c_str(), &actions, nullptr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  wr.reset();  // EOF for us once the child is done with its copy
  if (rc != 0) {
    return {};
  }
  auto out = read_fd(rd.get(), kMaxGetentOutput, "getent");
  rd.reset();
  int status = 0;
  // A caller that ignores SIGCHLD has its children reaped for it (ECHILD): the output decides.
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return out ? std::move(*out) : std::string();
}

}  // namespace

std::optional<PasswdLine> parse_passwd_line(std::string_view line) {
  line = trim_right(line, "\r\n");
  if (line.empty() || line.front() == '+' || line.front() == '-') {
    return std::nullopt;
  }
  std::vector<std::string_view> f;
  for (size_t start = 0;;) {
    size_t colon = line.find(':', start);
    f.push_back(line.substr(start, colon - start));
    if (colon == std::string_view::npos) {
      break;
    }
    start = colon + 1;
  }
  if (f.size() != kPasswdFields || f[0].empty() || f[2].empty()) {
    return std::nullopt;
  }
  PasswdLine out;
  const char* end = f[2].data() + f[2].size();
  auto [ptr, ec] = std::from_chars(f[2].data(), end, out.uid);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  out.user = UserEntry{std::string(f[0]), std::string(f[4]), std::string(f[5])};
  return out;
}

std::optional<UserEntry> find_uid(std::string_view passwd_text, uint32_t uid) {
  std::optional<UserEntry> found;
  for_each_line(passwd_text, [&](std::string_view line) {
    if (auto p = parse_passwd_line(line); p && p->uid == uid) {
      found = std::move(p->user);
      return false;
    }
    return true;
  });
  return found;
}

bool passwd_files_first(std::string_view nsswitch_text) {
  bool files_first = true;  // glibc's default for passwd
  for_each_line(nsswitch_text, [&](std::string_view line) {
    line = trim(line.substr(0, line.find('#')), kBlanksCr);
    constexpr std::string_view kKey = "passwd";
    if (line.substr(0, kKey.size()) != kKey) {
      return true;
    }
    std::string_view rest = trim(line.substr(kKey.size()), kBlanksCr);
    if (rest.empty() || rest.front() != ':') {
      return true;  // "passwdx:" or the like
    }
    rest = trim(rest.substr(1), kBlanksCr);
    size_t end = 0;
    while (end < rest.size() && !is_blank(rest[end]) && rest[end] != '[') {
      ++end;
    }
    files_first = rest.substr(0, end) == "files";
    return false;
  });
  return files_first;
}

std::optional<UserEntry> lookup_uid(uint32_t uid, const UserDbPaths& paths) {
  auto nss = read_file(paths.nsswitch, kMaxConfigFile);
  if (passwd_files_first(nss ? *nss : std::string_view())) {
    if (auto text = read_file(paths.passwd, kMaxConfigFile)) {
      if (auto u = find_uid(*text, uid)) {
        return u;
      }
    }
  }
  return find_uid(run_getent(std::to_string(uid), paths.getent), uid);
}

std::optional<uint32_t> find_name(std::string_view passwd_text, std::string_view name) {
  std::optional<uint32_t> found;
  for_each_line(passwd_text, [&](std::string_view line) {
    if (auto p = parse_passwd_line(line); p && p->user.name == name) {
      found = p->uid;
      return false;
    }
    return true;
  });
  return found;
}

std::optional<uint32_t> lookup_name(const std::string& name, const UserDbPaths& paths) {
  if (name.empty() || name.front() == '-') {  // never an option to getent
    return std::nullopt;
  }
  auto nss = read_file(paths.nsswitch, kMaxConfigFile);
  if (passwd_files_first(nss ? *nss : std::string_view())) {
    if (auto text = read_file(paths.passwd, kMaxConfigFile)) {
      if (auto u = find_name(*text, name)) {
        return u;
      }
    }
  }
  return find_name(run_getent(name, paths.getent), name);
}

}  // namespace rm
