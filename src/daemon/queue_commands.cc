#include "daemon/queue_commands.h"

#include <vector>

#include "core/ids.h"
#include "queue/queue_list.h"
#include "submit/daemon_protocol.h"

namespace rm {
namespace {

class StringSink final : public ByteSink {
 public:
  Status write(std::string_view bytes) override {
    text.append(bytes);
    return {};
  }
  std::string text;
};

std::vector<std::string> words(std::string_view arg) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < arg.size()) {
    size_t j = arg.find(' ', i);
    j = j == std::string_view::npos ? arg.size() : j;
    if (j > i) {
      out.emplace_back(arg.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

std::string xqueue(const QueueCommandDeps& d, const QueueCaller& who, std::string_view arg) {
  const bool json = arg == "JSON" || arg == "json";
  if (!arg.empty() && !json) {
    return "501 5.5.4 Syntax: XQUEUE [JSON]\r\n";
  }
  auto listed = d.store.list();
  if (!listed) {
    d.log.error("%s", listed.error().what.c_str());
    return "451 4.3.0 Error: the queue cannot be listed\r\n";
  }
  for (const auto& id : listed->quarantined) {
    d.log.error("%s: corrupt or untrusted queue entry moved to failed/", id.c_str());
  }
  std::vector<QueueEntry> shown;
  for (QueueEntry& e : listed->entries) {
    if (who.admin || e.uid == who.uid) {
      shown.push_back(std::move(e));
    }
  }
  StringSink out;
  const int64_t now = d.clock.wall();
  (void)(json ? write_queue_json(shown, now, out) : write_mailq(shown, now, out));
  return multiline_250(out.text, std::to_string(shown.size()) + " entries");
}

std::string xflush(const QueueCommandDeps& d, const QueueCaller& who, std::string_view arg) {
  if (!who.admin) {
    return who.admin_group.empty() ? "550 5.7.1 only root may run the queue\r\n"
                                   : "550 5.7.1 only root and members of group " + who.admin_group +
                                         " may run the queue\r\n";
  }
  std::vector<std::string> ids = words(arg);
  for (const std::string& id : ids) {
    if (!is_valid_queue_id(id)) {
      return "501 5.5.4 Syntax: XFLUSH [ID...]\r\n";
    }
  }
  std::vector<std::string> lines = d.flusher.run(ids);
  std::string text;
  for (const std::string& l : lines) {
    text += l;
    text += '\n';
  }
  if (lines.empty()) {
    text = "nothing to deliver\n";
  }
  return multiline_250(text, std::to_string(lines.size()) + " attempted");
}

}  // namespace

std::string multiline_250(std::string_view text, std::string_view last) {
  std::string r;
  size_t i = 0;
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(i, end - i);
    r += "250-";
    for (char c : line) {
      r += c == '\r' ? ' ' : c;
    }
    r += "\r\n";
    i = end + 1;
  }
  r += "250 2.0.0 ";
  r += last;
  r += "\r\n";
  return r;
}

std::string queue_command_reply(const QueueCommandDeps& d, const QueueCaller& who,
                                std::string_view verb, std::string_view arg) {
  std::string upper(verb);
  for (char& c : upper) {
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return upper == kXFlush ? xflush(d, who, arg) : xqueue(d, who, arg);
}

}  // namespace rm
