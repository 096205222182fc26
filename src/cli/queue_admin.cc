#include "cli/queue_admin.h"

#include <cerrno>

#include "sys/sysexits.h"

namespace rm::cli {
namespace {

bool is_errno(const Error& e, int err) {
  return e.code == Errc::io && e.sys_errno == err;
}

bool busy(const Error& e) {
  return is_errno(e, EWOULDBLOCK) || is_errno(e, EAGAIN);
}

// The exit code for a store error that no command handles specially; logs it.
int report_error(const std::string& id, const Error& e, Logger& log) {
  if (is_errno(e, EINVAL)) {
    log.error("%s: not a queue id", id.c_str());
    return kExUsage;
  }
  if (busy(e)) {
    log.error("%s: busy, try again", id.c_str());
    return kExTempFail;
  }
  log.error("%s: %s", id.c_str(), e.what.c_str());
  return kExIoErr;
}

int requeue_one(QueueStore& store, const std::string& id, std::FILE* out, Logger& log) {
  Status r = store.requeue(id);
  if (r) {
    (void)std::fprintf(out, "%s: requeued\n", id.c_str());
    return kExOk;
  }
  const Error& e = r.error();
  if (is_errno(e, EEXIST)) {
    (void)std::fprintf(out, "%s: already queued\n", id.c_str());
    return kExOk;
  }
  if (is_errno(e, ENOENT)) {
    log.error("%s: no such entry in failed/", id.c_str());
    return kExNoInput;
  }
  if (e.code == Errc::spool_corrupt) {
    log.error("%s: cannot requeue a quarantined entry: %s", id.c_str(), e.what.c_str());
    return kExDataErr;
  }
  return report_error(id, e, log);
}

// The queued copy, under its lock. Sets `done` when it removed one; an entry that is queued
// but held elsewhere is busy.
int delete_queued(QueueStore& store, const std::string& id, bool& done, Logger& log) {
  done = false;
  auto lock = store.try_lock(id);
  if (!lock) {
    return report_error(id, lock.error(), log);
  }
  if (!lock->has_value()) {
    auto still = store.load(id);  // not ours: held by a runner, or not queued at all
    if (!still && is_errno(still.error(), ENOENT)) {
      return kExOk;
    }
    log.error("%s: busy, try again", id.c_str());
    return kExTempFail;
  }
  Status r = store.remove(id);
  if (!r && !is_errno(r.error(), ENOENT)) {
    return report_error(id, r.error(), log);
  }
  done = static_cast<bool>(r);
  return kExOk;
}

int delete_one(QueueStore& store, const std::string& id, std::FILE* out, Logger& log) {
  bool queued = false;
  if (int code = delete_queued(store, id, queued, log); code != kExOk) {
    return code;
  }
  Status f = store.remove_failed(id);
  if (!f && !is_errno(f.error(), ENOENT)) {
    return report_error(id, f.error(), log);
  }
  if (queued) {
    (void)std::fprintf(out, "%s: deleted\n", id.c_str());
  } else if (f) {
    (void)std::fprintf(out, "%s: deleted from failed/\n", id.c_str());
  } else {
    log.error("%s: no such queue entry", id.c_str());
    return kExNoInput;
  }
  return kExOk;
}

int for_each_id(const std::vector<std::string>& ids, const char* verb, Logger& log,
                int (*one)(QueueStore&, const std::string&, std::FILE*, Logger&), QueueStore& store,
                std::FILE* out) {
  if (ids.empty()) {
    log.error("%s: no queue id given (usage: relaymail %s ID...)", verb, verb);
    return kExUsage;
  }
  int result = kExOk;
  for (const std::string& id : ids) {
    int code = one(store, id, out, log);
    if (result == kExOk) {
      result = code;
    }
  }
  (void)std::fflush(out);
  return result;
}

}  // namespace

int requeue_entries(QueueStore& store, const std::vector<std::string>& ids, std::FILE* out,
                    Logger& log) {
  return for_each_id(ids, "requeue", log, &requeue_one, store, out);
}

int delete_entries(QueueStore& store, const std::vector<std::string>& ids, std::FILE* out,
                   Logger& log) {
  return for_each_id(ids, "delete", log, &delete_one, store, out);
}

}  // namespace rm::cli
