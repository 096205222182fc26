#include "core/ids.h"

namespace rm {

std::string make_queue_id(int64_t micros_since_epoch, uint32_t random) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string id(kQueueIdLen, '0');
  auto t = static_cast<uint64_t>(micros_since_epoch);
  for (int i = 13; i >= 0; --i) {
    id[static_cast<size_t>(i)] = kHex[t & 0xf];
    t >>= 4;
  }
  for (int i = 19; i >= 14; --i) {
    id[static_cast<size_t>(i)] = kHex[random & 0xf];
    random >>= 4;
  }
  return id;
}

bool is_valid_queue_id(std::string_view id) {
  if (id.size() != kQueueIdLen) {
    return false;
  }
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace rm
