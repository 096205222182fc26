#include "cli/sendmail_args.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace rm::cli {
namespace {

// Letters whose option takes an argument, attached ("-fX") or as the next word ("-f X").
constexpr const char* kWithArg = "BCFfrhLNRVXpDdeMO";
// Letters accepted and ignored (SENDMAIL.md §2, behaviour 14).
constexpr const char* kIgnored = "nmUcsx";

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool valid_notify(const std::string& v) {
  if (v == "never") {
    return true;
  }
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string item =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item != "success" && item != "failure" && item != "delay") {
      return false;
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return !v.empty();
}

void set_delivery(SendmailArgs& a, char c) {
  switch (c) {
    case 'i':
      a.delivery = DeliveryOverride::foreground;
      break;
    case 'b':
      a.delivery = DeliveryOverride::background;
      break;
    case 'q':
    case 'd':
      a.delivery = DeliveryOverride::queue;
      break;
    default:
      a.warnings.push_back(std::string("unknown delivery mode -od") + c + " ignored");
  }
}

// -o options: "-oi", "-oem", "-odb"; anything else is accepted and ignored.
void apply_o(SendmailArgs& a, const std::string& v) {
  if (v.empty()) {
    return;
  }
  if (v == "i") {
    a.ignore_dots = true;
  } else if (v[0] == 'd' && v.size() >= 2) {
    set_delivery(a, v[1]);
  } else if (v[0] == 'e' && v.size() >= 2) {
    a.quiet_errors = (v[1] == 'q');
  }
}

// -O Name=value: IgnoreDots, DeliveryMode and ErrorMode are honoured, the rest ignored.
void apply_long_o(SendmailArgs& a, const std::string& v) {
  auto eq = v.find('=');
  std::string name = lower(v.substr(0, eq));
  std::string val = eq == std::string::npos ? "" : v.substr(eq + 1);
  if (name == "ignoredots") {
    std::string l = lower(val);
    a.ignore_dots = (l.empty() || l == "true" || l == "t" || l == "yes" || l == "y");
  } else if (name == "deliverymode" && !val.empty()) {
    set_delivery(a, static_cast<char>(std::tolower(static_cast<unsigned char>(val[0]))));
  } else if (name == "errormode" && !val.empty()) {
    a.quiet_errors = (val[0] == 'q');
  }
}

void apply_b(SendmailArgs& a, const std::string& v) {
  if (v == "m") {
    a.mode = Mode::deliver;
  } else if (v == "p") {
    a.mode = Mode::list_queue;
  } else if (v == "i") {
    a.mode = Mode::init_aliases;
  } else if (v == "s") {
    a.mode = Mode::smtp;
  } else if (v == "v") {
    a.mode = Mode::verify;
  } else if (v == "h" || v == "H" || v == "C") {
    a.mode = Mode::noop;
  } else {
    a.usage_error = "unsupported mode -b" + v;
  }
}

void apply_arg(SendmailArgs& a, char opt, const std::string& v) {
  switch (opt) {
    case 'f':
    case 'r':
      a.sender = (v == "<>") ? "" : v;
      break;
    case 'F':
      a.full_name = v;
      break;
    case 'C':
      a.config_path = v;
      break;
    case 'o':
      apply_o(a, v);
      break;
    case 'O':
      apply_long_o(a, v);
      break;
    case 'B': {
      std::string u = upper(v);
      if (u == "7BIT" || u == "8BITMIME") {
        a.body_type = u;
      } else {
        a.warnings.push_back("invalid -B value '" + v + "' ignored");
      }
      break;
    }
    case 'N': {
      std::string l = lower(v);
      if (valid_notify(l)) {
        a.dsn_notify = l;
      } else {
        a.warnings.push_back("invalid -N value '" + v + "' ignored");
      }
      break;
    }
    case 'R': {
      std::string u = upper(v);
      if (u == "FULL" || u == "HDRS") {
        a.dsn_ret = u;
      } else {
        a.warnings.push_back("invalid -R value '" + v + "' ignored");
      }
      break;
    }
    case 'V': {
      // RFC 3461 §4.4: at most 100 characters once xtext-encoded ("+HH" for the odd ones); a
      // longer one could never go on the wire, so it is dropped here, like a bad -R.
      size_t encoded = 0;
      for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        encoded += (u < 33 || u > 126 || c == '+' || c == '=') ? 3 : 1;
      }
      if (encoded <= 100) {
        a.dsn_envid = v;
      } else {
        a.warnings.push_back("-V value longer than 100 characters (RFC 3461) ignored");
      }
      break;
    }
    case 'h':
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
        a.warnings.push_back("invalid -h value '" + v + "' ignored");
      }
      break;
    default:
      break;  // -L, -X, -p, -D, -d, -e, -M: accepted, ignored (never opens -X's file)
  }
}

// Parses one cluster word (without its leading '-'); may consume the next word as argument.
// Returns false when parsing must stop (usage error).
bool parse_cluster(SendmailArgs& a, const std::string& word, const std::vector<std::string>& args,
                   size_t& i) {
  for (size_t k = 1; k < word.size(); ++k) {
    char c = word[k];
    std::string rest = word.substr(k + 1);
    if (c == 'o' || c == 'b' || c == 'q' || c == 'A' || std::strchr(kWithArg, c) != nullptr) {
      bool attached_only = (c == 'q' || c == 'b');
      std::string val = rest;
      if (val.empty() && !attached_only && i + 1 < args.size()) {
        val = args[++i];
      }
      if (c == 'b') {
        apply_b(a, val);
      } else if (c == 'q') {
        a.mode = Mode::run_queue;
        a.queue_arg = val;
      } else if (c != 'A') {
        apply_arg(a, c, val);
      }
      return a.usage_error.empty();
    }
    switch (c) {
      case 't':
        a.extract = true;
        break;
      case 'i':
        a.ignore_dots = true;
        break;
      case 'I':
        a.mode = Mode::init_aliases;
        break;
      case 'v':
        a.verbose = true;
        break;
      case 'G':
        a.no_rewrite = true;
        break;
      default:
        if (std::strchr(kIgnored, c) == nullptr) {
          a.usage_error = std::string("invalid option -- '") + c + "'";
          return false;
        }
    }
  }
  return true;
}

}  // namespace

Personality personality_from_argv0(const char* argv0) {
  const char* base = argv0 == nullptr ? "" : argv0;
  if (const char* slash = std::strrchr(base, '/')) {
    base = slash + 1;
  }
  std::string b(base);
  if (b == "mailq") {
    return Personality::mailq;
  }
  if (b == "newaliases") {
    return Personality::newaliases;
  }
  if (b == "hoststat") {
    return Personality::hoststat;
  }
  if (b == "purgestat") {
    return Personality::purgestat;
  }
  return Personality::sendmail;
}

SendmailArgs parse_sendmail_args(const std::vector<std::string>& args, Personality who) {
  SendmailArgs a;
  if (who == Personality::mailq) {
    a.mode = Mode::list_queue;
  } else if (who == Personality::newaliases) {
    a.mode = Mode::init_aliases;
  } else if (who == Personality::hoststat || who == Personality::purgestat) {
    a.mode = Mode::noop;
  }
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") {
      ++i;
      break;
    }
    if (w.size() < 2 || w[0] != '-') {
      break;
    }
    if (!parse_cluster(a, w, args, i)) {
      return a;
    }
  }
  for (; i < args.size(); ++i) {
    a.rcpt_words.push_back(args[i]);
  }
  return a;
}

}  // namespace rm::cli
