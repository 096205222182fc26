// context/spool.h — the spool of a configuration for this caller, opened in one place for every
// command of relaymail and relaymaild: where it is (context.h spool_dir()), the store on it, and
// the checks a spool must pass before anything is read or written there (FsQueueStore::prepare,
// sys/trusted_dir.h), made at once.
// Errors: Errc::untrusted or the failing syscall's Errc::io; spool_exit() is the exit status
// for them (73 untrusted or not creatable, 74 a failing disk). Threads: the store is
// FsQueueStore's (queue/fs_queue_store.h). Not here: what is done with the spool.
#pragma once

#include <memory>

#include "config/config.h"
#include "context/context.h"
#include "core/clock.h"
#include "core/result.h"
#include "queue/fs_queue_store.h"

namespace rm {

// `clock` must outlive the store.
Result<std::unique_ptr<FsQueueStore>> open_spool(const Config& cfg, const Context& ctx,
                                                 const Clock& clock);
int spool_exit(const Error& e);

}  // namespace rm
