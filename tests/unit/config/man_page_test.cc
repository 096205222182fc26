// Tests that the man pages document what the code has: every key of the settings table
// (config/defaults.cc, config_schema::keys()) appears in man/relaymail.conf.5 as an item
// ".It Cm <name>" under the subsection of its scope, and every command of relaymail's usage text
// (kUsage in src/cli/app.cc) appears in man/relaymail.1 as an item of its own. The files are read
// from the source tree, found from this file's path as ShippedExampleIsValid finds
// etc/relaymail.conf.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_schema.h"

namespace rm {
namespace {

using config_schema::Scope;

std::string source_file(const std::string& rel) {
  std::string here = __FILE__;
  return here.substr(0, here.rfind("/tests/")) + "/" + rel;
}

// The whole file; "" when it cannot be read (the callers assert on that).
std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// The lines of `page` after ".Ss <title>" up to the next .Ss or .Sh; empty when there is no such
// subsection.
std::vector<std::string> subsection(const std::vector<std::string>& page,
                                    const std::string& title) {
  std::vector<std::string> out;
  bool inside = false;
  for (const std::string& line : page) {
    if (line.starts_with(".Ss ") || line.starts_with(".Sh ")) {
      if (inside) {
        break;
      }
      inside = (line == ".Ss " + title);
      continue;
    }
    if (inside) {
      out.push_back(line);
    }
  }
  return out;
}

// An item whose head starts with `head`: ".It <head>" alone or followed by more words.
bool has_item(const std::vector<std::string>& lines, const std::string& head) {
  const std::string item = ".It " + head;
  for (const std::string& line : lines) {
    if (line == item || line.starts_with(item + " ")) {
      return true;
    }
  }
  return false;
}

struct ScopeSection {
  Scope scope;
  const char* title;  // the .Ss of relaymail.conf(5) that documents the scope's keys
};

constexpr ScopeSection kSections[] = {
    {Scope::top, "Top-level settings"},      {Scope::retry, "The retry group"},
    {Scope::log, "The log group"},           {Scope::daemon, "The daemon group"},
    {Scope::limit, "Rows of daemon.limits"}, {Scope::account, "Accounts"},
    {Scope::password, "Secret sources"},     {Scope::oauth2, "The oauth2 group"},
};

TEST(ManPage, ConfigPageDocumentsEveryKey) {
  const std::string text = read_text(source_file("man/relaymail.conf.5"));
  ASSERT_FALSE(text.empty()) << "cannot read man/relaymail.conf.5";
  const std::vector<std::string> page = lines_of(text);
  for (const auto& k : config_schema::keys()) {
    const std::string key = std::string(config_schema::scope_prefix(k.scope)) + k.name;
    const ScopeSection* where = nullptr;
    for (const auto& s : kSections) {
      where = s.scope == k.scope ? &s : where;
    }
    ASSERT_NE(where, nullptr) << key << ": its scope has no subsection in this test's table";
    const std::vector<std::string> section = subsection(page, where->title);
    ASSERT_FALSE(section.empty()) << "man/relaymail.conf.5 has no \".Ss " << where->title
                                  << "\" (for " << key << ")";
    EXPECT_TRUE(has_item(section, "Cm " + std::string(k.name)))
        << "man/relaymail.conf.5 does not document " << key << ": no \".It Cm " << k.name
        << "\" under \".Ss " << where->title << "\"";
  }
}

// The string literals of the C++ initializer `name = "..." "...";` in `source`, joined, with
// \n, \" and \\ decoded; "" when there is none.
std::string string_constant(const std::string& source, const std::string& name) {
  size_t i = source.find(name + " =");
  if (i == std::string::npos) {
    return "";
  }
  std::string out;
  bool in_string = false;
  for (i += name.size() + 2; i < source.size(); ++i) {
    const char c = source[i];
    if (!in_string) {
      if (c == ';') {
        break;
      }
      in_string = (c == '"');
      continue;
    }
    if (c == '"') {
      in_string = false;
    } else if (c == '\\' && i + 1 < source.size()) {
      const char e = source[++i];
      out += e == 'n' ? '\n' : e;
    } else {
      out += c;
    }
  }
  return out;
}

// "  queue [--json]          list the queue" → {"queue", "--json"}: the command words (those
// before the first bracketed or upper-case word), then the options named in brackets. Empty
// for a line that names no command (the header, a continuation, the closing note).
std::vector<std::string> usage_command(const std::string& line) {
  if (!line.starts_with("  ") || line.size() < 3 || line[2] == ' ') {
    return {};
  }
  const std::string synopsis = line.substr(2, line.find("  ", 2) - 2);
  std::vector<std::string> out;
  std::string phrase;
  bool phrase_done = false;
  std::istringstream words(synopsis);
  for (std::string w; words >> w;) {
    const bool bracketed = w.starts_with("[");
    const bool metavariable = std::isupper(static_cast<unsigned char>(w[0])) != 0;
    if (!phrase_done && !bracketed && !metavariable) {
      phrase += (phrase.empty() ? "" : " ") + w;
      continue;
    }
    phrase_done = true;
    if (bracketed && w.starts_with("[--")) {
      out.push_back(w.substr(1, w.find(']') - 1));
    }
  }
  out.insert(out.begin(), phrase);
  return out;
}

// "--print-config" → "Fl \-print\-config", as mdoc writes an option.
std::string mdoc_flag(std::string_view option) {
  std::string out = "Fl ";
  for (char c : option.substr(1)) {
    out += c == '-' ? "\\-" : std::string(1, c);
  }
  return out;
}

TEST(ManPage, RelaymailPageDocumentsEveryCommand) {
  const std::string usage = string_constant(read_text(source_file("src/cli/app.cc")), "kUsage");
  ASSERT_FALSE(usage.empty()) << "no kUsage in src/cli/app.cc";
  const std::string text = read_text(source_file("man/relaymail.1"));
  ASSERT_FALSE(text.empty()) << "cannot read man/relaymail.1";
  const std::vector<std::string> page = lines_of(text);
  size_t commands = 0;
  for (const std::string& line : lines_of(usage)) {
    const std::vector<std::string> cmd = usage_command(line);
    if (cmd.empty()) {
      continue;
    }
    ++commands;
    const std::string& phrase = cmd[0];
    const std::string head = phrase.starts_with("--") ? mdoc_flag(phrase) : "Cm " + phrase;
    std::string item;
    for (const std::string& l : page) {
      if (l == ".It " + head || l.starts_with(".It " + head + " ")) {
        item = l;
        break;
      }
    }
    if (item.empty()) {
      ADD_FAILURE() << "man/relaymail.1 does not document `relaymail " << phrase << "`: no \".It "
                    << head << "\"";
      continue;
    }
    for (size_t k = 1; k < cmd.size(); ++k) {
      EXPECT_TRUE(item.find(mdoc_flag(cmd[k])) != std::string::npos)
          << "man/relaymail.1 does not document `relaymail " << phrase << " " << cmd[k]
          << "`: no \"" << mdoc_flag(cmd[k]) << "\" in \"" << item << "\"";
    }
  }
  EXPECT_GE(commands, 10u) << "the usage text of src/cli/app.cc was not understood:\n" << usage;
}

}  // namespace
}  // namespace rm
