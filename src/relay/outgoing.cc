#include "relay/outgoing.h"

namespace rm {

bool has_real_domain(std::string_view addr) {
  auto at = addr.rfind('@');
  if (at == std::string_view::npos) {
    return false;
  }
  std::string_view d = addr.substr(at + 1);
  return d.find('.') != std::string_view::npos && d != "localhost.localdomain";
}

std::string wire_sender(const QueueEntry& entry, const Account& account, const Config& config) {
  if (entry.sender.empty() || account.from.empty()) {
    return entry.sender;
  }
  if (config.from_rewrite == FromRewrite::always || !has_real_domain(entry.sender)) {
    return account.from;
  }
  return entry.sender;
}

OutgoingMessage make_outgoing(const QueueEntry& entry, const Account& account, const Config& config,
                              const std::vector<size_t>& indices, ByteSource* content) {
  OutgoingMessage msg;
  msg.sender = wire_sender(entry, account, config);
  msg.content = content;
  msg.size = entry.size;
  // -B 8BITMIME declares the body 8-bit whatever its bytes; -B 7BIT cannot make 8-bit bytes
  // 7-bit, so what the spool found wins.
  msg.eightbit = entry.eightbit || entry.body_type == "8BITMIME";
  msg.dsn_notify = entry.dsn_notify;  // sent only when the smarthost offers DSN
  msg.dsn_ret = entry.dsn_ret;
  msg.dsn_envid = entry.dsn_envid;
  for (size_t k : indices) {
    msg.rcpts.push_back(entry.rcpts[k].addr);
  }
  return msg;
}

}  // namespace rm
