// cli/queue_admin.h — `relaymail requeue ID...` and `relaymail delete ID...`: the operator's
// tools for failed/ and the queue. One line per id: on stdout when it worked ("ID: requeued",
// "ID: already queued", "ID: deleted", "ID: deleted from failed/"), through the Logger (stderr)
// when it did not. Every id is tried; the exit code is that of the first id that failed:
//   64 EX_USAGE     no id given, or not a queue id
//   65 EX_DATAERR   requeue of a quarantined (corrupt) entry
//   66 EX_NOINPUT   no such entry (requeue: not in failed/ or queue/; delete: in neither)
//   74 EX_IOERR     the spool could not be read or changed
//   75 EX_TEMPFAIL  the entry is held (a delivery, requeue or delete is running): try again
// "already queued" is not an error (exit 0, nothing changed). delete takes the entry's lock
// (QueueStore::try_lock) before removing it, so a running delivery is never pulled from under
// its runner. Not here: the store's crash-safety (queue/fs_queue_store.h). Not thread-safe.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "log/logger.h"
#include "queue/queue_store.h"

namespace rm::cli {

int requeue_entries(QueueStore& store, const std::vector<std::string>& ids, std::FILE* out,
                    Logger& log);
int delete_entries(QueueStore& store, const std::vector<std::string>& ids, std::FILE* out,
                   Logger& log);

}  // namespace rm::cli
