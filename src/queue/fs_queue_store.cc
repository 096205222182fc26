// The spool of queue/fs_queue_store.h: the draft, commit, reading, listing and removal of
// entries. The layout, every invariant this code keeps and the file formats are in
// queue/FORMAT.md; the cleaning is in fs_queue_clean.cc, the failed/ side in
// fs_queue_failed.cc.
#include "queue/fs_queue_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>
#include <system_error>
#include <thread>

#include "core/ids.h"
#include "queue/env_format.h"
#include "queue/mail_file.h"
#include "sys/dir_list.h"
#include "sys/entropy.h"
#include "sys/fd_io.h"
#include "sys/file_lock.h"
#include "sys/fs.h"
#include "sys/trusted_dir.h"

#include "queue/fs_queue_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <memory>
#include <system_error>
#include <thread>

#include "core/ids.h"
#include "queue/env_format.h"
#include "queue/mail_file.h"
#include "queue/spool_files.h"
#include "sys/dir_list.h"
#include "sys/entropy.h"
#include "sys/fd_io.h"
#include "sys/file_lock.h"
#include "sys/fs.h"
#include "sys/trusted_dir.h"

namespace rm {

using namespace spool;  // NOLINT(google-build-using-namespace): this store's own names

namespace {
// The draft's bytes go to its TempFile through an FdSink; after commit (or a failed commit) the
// sink refuses further writes, so nothing can touch a committed .mail through the draft.
class FsDraft final : public MessageDraft, private ByteSink {
 public:
  FsDraft(const FsQueueStore* store, std::string id, TempFile file, const SysOps& ops)
      : store_(store),
        id_(std::move(id)),
        file_(std::move(file)),
        out_(file_.fd(), ops, file_.path()) {}

  const std::string& id() const override { return id_; }
  ByteSink& sink() override { return *this; }
  uint64_t bytes_written() const override { return out_.bytes_written(); }

  const FsQueueStore* store() const { return store_; }
  bool closed() const { return closed_; }
  void close() { closed_ = true; }
  Status flush() { return out_.flush(); }
  TempFile& file() { return file_; }

 private:
  Status write(std::string_view bytes) override {
    if (closed_) {
      return sys_error(Errc::io, EBADF, "write draft %s: closed by commit", id_.c_str());
    }
    return out_.write(bytes);
  }

  const FsQueueStore* store_;
  std::string id_;
  TempFile file_;
  FdSink out_;
  bool closed_ = false;
};

class FsEntryLock final : public EntryLock {
 public:
  explicit FsEntryLock(FileLock lock) : lock_(std::move(lock)) {}

 private:
  FileLock lock_;
};

}  // namespace

FsQueueStore::FsQueueStore(std::string spool_dir, const Clock& clock)
    : FsQueueStore(std::move(spool_dir), clock, real_sys_ops()) {}

FsQueueStore::FsQueueStore(std::string spool_dir, const Clock& clock, const SysOps& ops)
    : dir_(std::move(spool_dir)),
      clock_(clock),
      ops_(&ops),
      owner_(::geteuid()),
      queue_sync_([this] { return fsync_dir(queue_dir(), *ops_); }),
      failed_sync_([this] { return fsync_dir(failed_dir(), *ops_); }) {}

std::string FsQueueStore::mail_path(std::string_view id) const {
  return queue_dir() + "/" + std::string(id) + std::string(kMailSuffix);
}

std::string FsQueueStore::msg_path(std::string_view id) const {
  return queue_dir() + "/" + std::string(id) + std::string(kMsgSuffix);
}

std::string FsQueueStore::env_path(std::string_view id) const {
  return queue_dir() + "/" + std::string(id) + std::string(kEnvSuffix);
}

Status FsQueueStore::ensure_dirs() const {
  if (trusted_.load(std::memory_order_acquire)) {
    return {};
  }
  if (auto r = make_own_dir(dir_, owner_); !r) {
    return with_context(std::move(r).error(), "spool " + dir_);
  }
  for (const std::string& d : {queue_dir(), tmp_dir(), failed_dir()}) {
    if (auto r = make_own_subdir(d, owner_); !r) {
      return with_context(std::move(r).error(), "spool " + dir_);
    }
  }
  trusted_.store(true, std::memory_order_release);
  return {};
}

Result<std::string> FsQueueStore::new_id() const {
  const int64_t micros = clock_.wall_micros();  // one reading: seconds and fraction agree
  auto rnd = random_u64();
  if (!rnd) {
    return std::move(rnd).error();
  }
  return make_queue_id(micros, static_cast<uint32_t>(*rnd & 0xffffff));
}

Result<std::unique_ptr<MessageDraft>> FsQueueStore::begin() {
  if (auto r = ensure_dirs(); !r) {
    return std::move(r).error();
  }
  auto id = new_id();
  if (!id) {
    return std::move(id).error();
  }
  auto file = TempFile::create(tmp_dir(), *id + std::string(kMailSuffix) + ".", *ops_);
  if (!file) {
    return std::move(file).error();
  }
  // The message goes after the gap its envelope will fill at commit (queue/mail_file.h).
  if (::lseek(file->fd(), static_cast<off_t>(kMailBodyOffset), SEEK_SET) < 0) {
    return sys_error(Errc::io, errno, "seek %s", file->path().c_str());
  }
  return std::unique_ptr<MessageDraft>(
      std::make_unique<FsDraft>(this, std::move(*id), std::move(*file), *ops_));
}

Status FsQueueStore::place_env(const std::string& id, const std::string& text,
                               TempFile::Replace replace, bool& placed) {
  placed = false;
  auto tmp = TempFile::create(tmp_dir(), id + std::string(kEnvSuffix) + ".", *ops_);
  if (!tmp) {
    return std::move(tmp).error();
  }
  if (auto w = write_all(tmp->fd(), text, *ops_, tmp->path()); !w) {
    return w;
  }
  Status r = tmp->commit_as(env_path(id), replace, TempFile::DirSync::by_caller);
  placed = tmp->committed();
  return r;
}

Status FsQueueStore::commit(MessageDraft& d, QueueEntry entry) {
  auto* draft = dynamic_cast<FsDraft*>(&d);
  if (draft == nullptr || draft->store() != this) {
    return sys_error(Errc::io, EINVAL, "commit %s: draft of another store", d.id().c_str());
  }
  if (draft->closed() || entry.id != draft->id()) {
    return sys_error(Errc::io, EINVAL, "commit %s: draft already committed or id mismatch",
                     draft->id().c_str());
  }
  if (auto r = draft->flush(); !r) {
    draft->close();
    return r;
  }
  draft->close();
  entry.size = draft->bytes_written();
  auto text = serialise_env(entry);
  if (!text) {
    return std::move(text).error();
  }
  // The head goes in the gap in front of the message; an envelope too big for it (hundreds of
  // recipients) moves the message to a new file with a gap that fits.
  const uint64_t offset = std::max(kMailBodyOffset, mail_body_offset(text->size()));
  std::optional<TempFile> moved;
  if (offset != kMailBodyOffset) {
    auto rebased = copy_body(draft->file(), entry.id, offset);
    if (!rebased) {
      return std::move(rebased).error();
    }
    moved = std::move(*rebased);
  }
  TempFile& file = moved ? *moved : draft->file();
  if (::lseek(file.fd(), 0, SEEK_SET) < 0) {
    return sys_error(Errc::io, errno, "seek %s", file.path().c_str());
  }
  if (auto w = write_all(file.fd(), mail_head(*text, offset), *ops_, file.path()); !w) {
    return w;
  }
  // An empty message: the file must still reach its body offset.
  if (entry.size == 0 && ::ftruncate(file.fd(), static_cast<off_t>(offset)) != 0) {
    return sys_error(Errc::io, errno, "truncate %s", file.path().c_str());
  }
  // One fsync of the file (in commit_as) and one of queue/, shared with whatever else reaches
  // queue_sync_ meanwhile: the entry exists once the rename is durable.
  const std::string mail = mail_path(entry.id);
  const DirSyncBatcher::Ticket since = queue_sync_.ticket();
  Status r = file.commit_as(mail, TempFile::Replace::no, TempFile::DirSync::by_caller);
  if (r) {
    r = queue_sync_.sync(since);
  }
  if (!r && file.committed()) {
    unlink_quietly(*ops_, mail);
  }
  return r;
}

Result<TempFile> FsQueueStore::copy_body(TempFile& draft, const std::string& id, uint64_t offset) {
  auto out = TempFile::create(tmp_dir(), id + std::string(kMailSuffix) + ".", *ops_);
  if (!out) {
    return std::move(out).error();
  }
  if (::lseek(draft.fd(), static_cast<off_t>(kMailBodyOffset), SEEK_SET) < 0 ||
      ::lseek(out->fd(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    return sys_error(Errc::io, errno, "seek %s", out->path().c_str());
  }
  FdSink sink(out->fd(), *ops_, out->path());
  if (auto r = copy_to_end(draft.fd(), draft.path(), sink); !r) {
    return std::move(r).error();
  }
  return std::move(*out);
}

Result<QueueEntry> FsQueueStore::load(std::string_view id) {
  if (auto r = check_id("load", id); !r) {
    return std::move(r).error();
  }
  return load_from(queue_dir(), id);
}

Result<QueueEntry> FsQueueStore::load_from(const std::string& dir, std::string_view id) {
  if (auto r = ensure_dirs(); !r) {
    return std::move(r).error();
  }
  const std::string stem = dir + "/" + std::string(id);
  std::string env = stem + std::string(kEnvSuffix);
  const std::string mail = stem + std::string(kMailSuffix);
  // A failed entry whose move was cut short between its two renames left its state in queue/.
  if (dir == failed_dir() && !file_exists(env) && file_exists(mail) &&
      !file_exists(mail_path(id)) && !file_exists(msg_path(id))) {
    env = env_path(id);
  }
  std::string text;
  if (auto r = read_file(env, kMaxEnvBytes, LinkCheck::owned); r) {
    text = std::move(*r);
  } else if (r.error().sys_errno != ENOENT || !file_exists(mail)) {
    return std::move(r).error();
  } else if (auto head = read_head(mail, text); !head) {  // no state yet: the entry as accepted
    return std::move(head).error();
  } else {
    env = mail;
  }
  auto entry = parse_env(text);
  if (!entry) {
    return with_context(std::move(entry).error(), "load " + env);
  }
  if (entry->id != id) {
    return make_error(Errc::spool_corrupt, "load %s: names entry %s", env.c_str(),
                      entry->id.c_str());
  }
  return entry;
}

Result<UniqueFd> FsQueueStore::read_head(const std::string& mail, std::string& env_text) const {
  struct stat st {};
  auto fd = safe_open_read_at(AT_FDCWD, mail.c_str(), LinkCheck::owned, &st);
  if (!fd) {
    return fd;
  }
  auto head = read_mail_head(fd->get(), static_cast<uint64_t>(st.st_size), mail, env_text);
  if (!head) {
    return std::move(head).error();
  }
  if (::lseek(fd->get(), static_cast<off_t>(head->body_offset), SEEK_SET) < 0) {
    return sys_error(Errc::io, errno, "seek %s", mail.c_str());
  }
  return fd;
}

Status FsQueueStore::update(const QueueEntry& entry) {
  if (auto r = check_id("update", entry.id); !r) {
    return r;
  }
  if (auto r = ensure_dirs(); !r) {
    return r;
  }
  auto text = serialise_env(entry);
  if (!text) {
    return std::move(text).error();
  }
  // Never resurrect an entry someone removed: its .mail (or .msg) must still be there.
  if (!file_exists(mail_path(entry.id)) && !file_exists(msg_path(entry.id))) {
    return sys_error(Errc::io, ENOENT, "update %s", mail_path(entry.id).c_str());
  }
  const DirSyncBatcher::Ticket since = queue_sync_.ticket();
  bool placed = false;
  if (auto r = place_env(entry.id, *text, TempFile::Replace::yes, placed); !r) {
    return r;
  }
  return queue_sync_.sync(since);
}

void FsQueueStore::quarantine(const std::string& id, ListResult& out) {
  Status r = move_to_failed(id);
  if (r) {
    out.quarantined.push_back(id);
  } else if (r.error().sys_errno != ENOENT) {  // ENOENT: the entry went away on its own
    out.errors.push_back(std::move(r).error());
  }
}

void FsQueueStore::list_mail(int queue_fd, std::string_view id, bool has_state, std::string& buf,
                             ListResult& out) {
  const IdFileName mail_name = file_name(id, kMailSuffix);
  struct stat st {};
  auto fd = safe_open_read_at(queue_fd, mail_name.data(), LinkCheck::owned, &st);
  Status read;
  if (!fd) {
    read = std::move(fd).error();
  } else if (has_state) {
    read = read_file_at_into(queue_fd, file_name(id, kEnvSuffix).data(), kMaxEnvBytes,
                             LinkCheck::owned, buf);
  } else if (auto head = read_mail_head(fd->get(), static_cast<uint64_t>(st.st_size),
                                        mail_name.data(), buf);
             !head) {
    read = std::move(head).error();
  }
  if (!read) {
    if (read.error().code == Errc::spool_corrupt || hostile_file(read.error())) {
      quarantine(std::string(id), out);
    } else if (read.error().sys_errno != ENOENT) {  // ENOENT: just removed
      out.errors.push_back(with_context(std::move(read).error(), "list " + queue_dir()));
    }
    return;
  }
  auto entry = parse_env(buf);
  if (!entry || entry->id != id) {
    quarantine(std::string(id), out);
    return;
  }
  out.entries.push_back(std::move(*entry));
}

void FsQueueStore::list_one(int queue_fd, std::string_view id, std::string& buf, ListResult& out) {
  // The .msg is what gets sent: a regular file of ours with one link, or the entry is
  // quarantined. Missing: no entry, only a state that outlived its .mail (a remove() or
  // move_to_failed() cut short, a requeue() at work), left to clean_tmp().
  struct stat msg {};
  if (::fstatat(queue_fd, file_name(id, kMsgSuffix).data(), &msg, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) {
      out.errors.push_back(sys_error(Errc::io, errno, "list %s: stat %.*s.msg", queue_dir().c_str(),
                                     static_cast<int>(id.size()), id.data()));
    }
    return;
  }
  const IdFileName env_name = file_name(id, kEnvSuffix);
  if (auto r = read_file_at_into(queue_fd, env_name.data(), kMaxEnvBytes, LinkCheck::owned, buf);
      !r) {
    if (hostile_file(r.error())) {
      quarantine(std::string(id), out);
    } else if (r.error().sys_errno != ENOENT) {
      out.errors.push_back(with_context(std::move(r).error(), "list " + queue_dir()));
    }
    return;
  }
  auto entry = parse_env(buf);
  if (!entry || entry->id != id || !trusted_file(msg, owner_)) {
    quarantine(std::string(id), out);
    return;
  }
  out.entries.push_back(std::move(*entry));
}

namespace {

// One id found in queue/ by list(): which of its files are there.
struct Listed {
  IdKey id;
  bool mail = false;  // <id>.mail: a one-file entry
  bool env = false;   // <id>.env: its state, or an entry of the two-file format
};

// The ids of both lists, sorted, once each.
std::vector<Listed> merge_ids(std::vector<IdKey> mails, std::vector<IdKey> envs) {
  std::sort(mails.begin(), mails.end(), id_less);
  std::sort(envs.begin(), envs.end(), id_less);
  std::vector<Listed> out;
  out.reserve(std::max(mails.size(), envs.size()));
  size_t m = 0;
  size_t e = 0;
  while (m < mails.size() || e < envs.size()) {
    const bool take_mail = e == envs.size() || (m < mails.size() && !id_less(envs[e], mails[m]));
    const bool take_env = m == mails.size() || (e < envs.size() && !id_less(mails[m], envs[e]));
    out.push_back(Listed{take_mail ? mails[m] : envs[e], take_mail, take_env});
    m += take_mail ? 1 : 0;
    e += take_env ? 1 : 0;
  }
  return out;
}

// list()'s per-thread results, in slice order.
ListResult join_parts(std::vector<ListResult> parts) {
  ListResult out = std::move(parts[0]);
  for (size_t w = 1; w < parts.size(); ++w) {
    std::move(parts[w].entries.begin(), parts[w].entries.end(), std::back_inserter(out.entries));
    std::move(parts[w].quarantined.begin(), parts[w].quarantined.end(),
              std::back_inserter(out.quarantined));
    std::move(parts[w].errors.begin(), parts[w].errors.end(), std::back_inserter(out.errors));
  }
  return out;
}

}  // namespace

// Five syscalls per entry, the floor for what is checked: openat, fstat, read and close of the
// .env, and one fstatat of the .msg (owner, type, links). No std::string per directory name
// (fixed-size keys from one readdir pass), one reused read buffer, file names on the stack.
Result<ListResult> FsQueueStore::list() {
  if (auto r = ensure_dirs(); !r) {
    return std::move(r).error();
  }
  const std::string dir = queue_dir();
  auto queue_fd = open_dir(dir);
  if (!queue_fd) {
    return std::move(queue_fd).error();
  }
  std::vector<IdKey> mails;
  std::vector<IdKey> envs;
  auto scanned = for_each_name(queue_fd->get(), dir, [&](std::string_view name) {
    if (auto id = id_of(name, kEnvSuffix)) {
      envs.push_back(*id);
    } else if (auto mail = id_of(name, kMailSuffix)) {
      mails.push_back(*mail);
    }
  });
  if (!scanned) {
    return std::move(scanned).error();
  }
  const std::vector<Listed> ids = merge_ids(std::move(mails), std::move(envs));
  // Reading the entries is most of the cost and each is independent: a big spool is read by
  // up to kListWorkers threads, each over one contiguous slice of the sorted ids, and the
  // slices' results are joined in order, so the result is the one a single thread would give.
  // bench_spool, 100,000 entries, warm, same machine: confined to one core (taskset) list()
  // 1.27 s and `relaymail queue` 1.50 s; on both cores 0.81 s and 0.93 s (medians).
  constexpr size_t kParallelFrom = 4096;
  constexpr size_t kListWorkers = 4;
  size_t workers = 1;
  if (ids.size() >= kParallelFrom) {
    workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kListWorkers);
  }
  const size_t slice = (ids.size() + workers - 1) / std::max<size_t>(workers, 1);
  std::vector<ListResult> parts(workers);
  auto read_slice = [&](size_t w) {
    std::string buf;
    size_t end = std::min(ids.size(), (w + 1) * slice);
    parts[w].entries.reserve(end > w * slice ? end - w * slice : 0);
    for (size_t k = w * slice; k < end; ++k) {
      if (ids[k].mail) {
        list_mail(queue_fd->get(), view(ids[k].id), ids[k].env, buf, parts[w]);
      } else {
        list_one(queue_fd->get(), view(ids[k].id), buf, parts[w]);
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w) {
    try {
      threads.emplace_back(read_slice, w);
    } catch (const std::system_error&) {  // no thread to be had: read it here instead
      read_slice(w);
    }
  }
  read_slice(0);
  for (std::thread& t : threads) {
    t.join();
  }
  return join_parts(std::move(parts));
}

Status FsQueueStore::remove(std::string_view id) {
  return remove_each({std::string(id)}).front();
}

std::vector<Status> FsQueueStore::remove_each(const std::vector<std::string>& ids) {
  std::vector<Status> out(ids.size());
  if (auto r = ensure_dirs(); !r) {
    std::fill(out.begin(), out.end(), r);
    return out;
  }
  const DirSyncBatcher::Ticket since = queue_sync_.ticket();
  bool unlinked = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto r = check_id("remove", ids[i]); !r) {
      out[i] = r;
      continue;
    }
    // The file whose presence makes the entry goes first: the .mail, or the .env of an entry
    // of the two-file format.
    int missing = 0;
    out[i] = unlink_entry(*ops_, queue_dir(), ids[i], missing);
    if (out[i] && missing == 3) {
      out[i] = sys_error(Errc::io, ENOENT, "remove %s", ids[i].c_str());
    }
    unlinked = unlinked || missing < 3;
  }
  if (!unlinked) {
    return out;
  }
  // One fsync of queue/ makes every unlink above durable: the removals share its cost (and
  // share it with the commits that reach queue_sync_ meanwhile).
  if (auto r = queue_sync_.sync(since); !r) {
    for (Status& st : out) {
      if (st) {
        st = r;
      }
    }
  }
  return out;
}

Status FsQueueStore::move_to_failed(std::string_view id) {
  if (auto r = check_id("move", id); !r) {
    return r;
  }
  if (auto r = ensure_dirs(); !r) {
    return r;
  }
  const DirSyncBatcher::Ticket failed_since = failed_sync_.ticket();
  const DirSyncBatcher::Ticket queue_since = queue_sync_.ticket();
  int missing = 0;
  // The .mail first (or a two-file entry's .env): the entry ends there.
  for (std::string_view suffix : {kMailSuffix, kEnvSuffix, kMsgSuffix}) {
    std::string name = std::string(id) + std::string(suffix);
    std::string from = queue_dir() + "/" + name;
    std::string to = failed_dir() + "/" + name;
    if (ops_->rename(from.c_str(), to.c_str(), 0) != 0) {
      if (errno != ENOENT) {
        return sys_error(Errc::io, errno, "rename %s to %s", from.c_str(), to.c_str());
      }
      ++missing;
    }
  }
  if (missing == 3) {
    return sys_error(Errc::io, ENOENT, "move %s to failed/", std::string(id).c_str());
  }
  if (auto r = failed_sync_.sync(failed_since); !r) {
    return r;
  }
  return queue_sync_.sync(queue_since);
}

Result<UniqueFd> FsQueueStore::open_content(std::string_view id) {
  if (auto r = check_id("open", id); !r) {
    return std::move(r).error();
  }
  if (auto r = ensure_dirs(); !r) {
    return std::move(r).error();
  }
  std::string env_text;
  auto mail = read_head(mail_path(id), env_text);
  if (mail || mail.error().sys_errno != ENOENT) {
    return mail;
  }
  return safe_open_read(msg_path(id), LinkCheck::owned);
}

Result<std::optional<std::unique_ptr<EntryLock>>> FsQueueStore::try_lock(std::string_view id) {
  using Held = std::optional<std::unique_ptr<EntryLock>>;
  if (auto r = check_id("lock", id); !r) {
    return std::move(r).error();
  }
  if (auto r = ensure_dirs(); !r) {
    return std::move(r).error();
  }
  // The lock is on the file that holds the message: the .mail, or a two-file entry's .msg.
  const bool one_file = file_exists(mail_path(id));
  const std::string path = one_file ? mail_path(id) : msg_path(id);
  auto lock = try_lock_path(path, LockOpen::existing);
  if (!lock) {
    if (lock.error().sys_errno == ENOENT) {
      return Held();  // finished by someone else since it was listed
    }
    return std::move(lock).error();
  }
  if (!lock->has_value()) {
    return Held();
  }
  // The holder we waited for may have removed the entry: the lock must be on the live file.
  struct stat locked {};
  struct stat now {};
  if (::fstat((*lock)->fd(), &locked) != 0 || ::lstat(path.c_str(), &now) != 0 ||
      locked.st_dev != now.st_dev || locked.st_ino != now.st_ino ||
      (!one_file && !file_exists(env_path(id)))) {
    return Held();
  }
  if (!trusted_file(locked, owner_)) {  // never sent: list() quarantines it too
    std::string quarantined = move_to_failed(id) ? "moved to failed/" : "left in queue/";
    return make_error(Errc::spool_corrupt,
                      "lock %s: owned by uid %ju with %ju links, not ours alone; %s", path.c_str(),
                      static_cast<uintmax_t>(locked.st_uid),
                      static_cast<uintmax_t>(locked.st_nlink), quarantined.c_str());
  }
  return Held(std::make_unique<FsEntryLock>(std::move(**lock)));
}

}  // namespace rm
