// queue/queue_list.h — `mailq`, `sendmail -bp` and `relaymail queue`: the spool listed Postfix
// style (id, size, arrival time, sender; the last error in parentheses with attempts and age;
// each pending recipient indented; last line "-- N Kbytes in M Request(s)." or
// "Mail queue is empty"), or as JSON for scripts. Reads only the .env files. Pure formatting
// apart from the listing itself. The write_* forms stream to a ByteSink one entry at a time, so
// a 100,000-entry queue never becomes one 30 MB string; they return the first failed write.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "core/result.h"
#include "queue/queue_entry.h"

namespace rm {

Status write_mailq(const std::vector<QueueEntry>& entries, int64_t now, ByteSink& out);
Status write_queue_json(const std::vector<QueueEntry>& entries, int64_t now, ByteSink& out);

// The same listings as strings.
std::string format_mailq(const std::vector<QueueEntry>& entries, int64_t now);
std::string format_queue_json(const std::vector<QueueEntry>& entries, int64_t now);

}  // namespace rm
