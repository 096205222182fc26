#include "oauth2/token_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fs.h"
#include "sys/trusted_dir.h"

namespace rm {
namespace {

constexpr char kMagic[] = "relaymail oauth2 token 1\n";
constexpr size_t kMaxFile = size_t{64} * 1024;

bool plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '@' || c == '+' || c == '-' || c == '.';
}

std::string file_name(const std::string& account) {
  std::string out;
  for (size_t i = 0; i < account.size(); ++i) {
    char c = account[i];
    if (plain_char(c) && !(i == 0 && c == '.')) {
      out += c;
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out + ".token";
}

// A file that safe_open_read refused for what it is rather than for a failing syscall.
bool refused_as_untrusted(int err) {
  return err == EPERM || err == ELOOP || err == EMLINK || err == EINVAL;
}

// "expires: 123\n" → 123; nullopt when `line` is not that.
std::optional<int64_t> expires_value(std::string_view line) {
  constexpr std::string_view kKey = "expires: ";
  if (!line.starts_with(kKey) || line.size() == kKey.size() || line.size() > kKey.size() + 18) {
    return std::nullopt;
  }
  int64_t n = 0;
  for (char c : line.substr(kKey.size())) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

SecretString format_cached_token(const CachedToken& token) {
  std::string text;
  text.reserve(sizeof kMagic + 32 + token.token.size());
  text += kMagic;
  text += "expires: " + std::to_string(token.expires_at) + "\n";
  text += "token: ";
  text.append(token.token.view());
  text += '\n';
  return SecretString(std::move(text));
}

std::optional<CachedToken> parse_cached_token(std::string_view text) {
  if (!text.starts_with(kMagic) || !text.ends_with('\n')) {
    return std::nullopt;
  }
  text.remove_prefix(sizeof kMagic - 1);
  size_t nl = text.find('\n');
  std::optional<int64_t> expires = expires_value(text.substr(0, nl));
  if (!expires) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(nl + 1);
  constexpr std::string_view kToken = "token: ";
  if (!rest.starts_with(kToken) || rest.find('\n') != rest.size() - 1) {
    return std::nullopt;
  }
  std::string_view token = rest.substr(kToken.size(), rest.size() - kToken.size() - 1);
  if (token.empty()) {
    return std::nullopt;
  }
  for (char c : token) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return std::nullopt;
    }
  }
  return CachedToken{SecretString(std::string(token)), *expires};
}

std::string TokenCache::path_of(const std::string& account) const {
  return join_path(dir_, file_name(account));
}

Result<std::optional<CachedToken>> TokenCache::load(const std::string& account) const {
  if (Status dir = check_dir_path(dir_, ::geteuid(), DirRole::own); !dir) {
    if (dir.error().code == Errc::io && dir.error().sys_errno == ENOENT) {
      return std::optional<CachedToken>();  // nothing cached yet
    }
    return std::move(dir).error();
  }
  const std::string path = path_of(account);
  auto fd = safe_open_read(path, LinkCheck::owned);
  if (!fd) {
    int err = fd.error().sys_errno;
    if (err == ENOENT) {
      return std::optional<CachedToken>();
    }
    if (refused_as_untrusted(err)) {
      return make_error(Errc::untrusted,
                        "token cache %s: not a regular file of ours with a single link",
                        path.c_str());
    }
    return std::move(fd).error();
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) {
    return sys_error(Errc::io, errno, "stat %s", path.c_str());
  }
  if ((st.st_mode & 077) != 0) {
    return make_error(Errc::untrusted, "token cache %s: mode %04o lets others read it",
                      path.c_str(), static_cast<unsigned>(st.st_mode & 07777));
  }
  auto text = read_fd(fd->get(), kMaxFile, path);
  if (!text) {
    return text.error().sys_errno == EFBIG ? Result<std::optional<CachedToken>>(std::nullopt)
                                           : Result<std::optional<CachedToken>>(text.error());
  }
  SecretString wiped(std::move(*text));
  return parse_cached_token(wiped.view());
}

Status TokenCache::save(const std::string& account, const CachedToken& token) const {
  if (Status dir = make_own_dir(dir_, ::geteuid()); !dir) {
    return dir;
  }
  SecretString text = format_cached_token(token);
  return write_file_atomic(dir_, file_name(account), text.view());
}

Status TokenCache::drop(const std::string& account) const {
  if (Status dir = check_dir_path(dir_, ::geteuid(), DirRole::own); !dir) {
    bool missing = dir.error().code == Errc::io && dir.error().sys_errno == ENOENT;
    return missing ? Status() : dir;
  }
  const std::string path = path_of(account);
  if (::unlink(path.c_str()) != 0) {
    return errno == ENOENT ? Status() : sys_error(Errc::io, errno, "remove %s", path.c_str());
  }
  return fsync_dir(dir_);
}

}  // namespace rm
