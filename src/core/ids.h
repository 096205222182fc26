// core/ids.h — queue ids. An id is 14 upper-case hex digits of the arrival time in microseconds
// since the epoch followed by 6 hex digits of randomness, so ids sort by arrival time and are
// safe as file names. Pure functions; the caller supplies time and randomness.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rm {

constexpr size_t kQueueIdLen = 20;

std::string make_queue_id(int64_t micros_since_epoch, uint32_t random);
// True for exactly kQueueIdLen characters of [0-9A-F]: anything else is never used as a path.
bool is_valid_queue_id(std::string_view id);

}  // namespace rm
