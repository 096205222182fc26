#include "context/spool.h"

#include "sys/sysexits.h"

namespace rm {

Result<std::unique_ptr<FsQueueStore>> open_spool(const Config& cfg, const Context& ctx,
                                                 const Clock& clock) {
  auto dir = spool_dir(cfg, ctx);
  if (!dir) {
    return std::move(dir).error();
  }
  auto store = std::make_unique<FsQueueStore>(std::move(*dir), clock);
  if (auto ok = store->prepare(); !ok) {
    return std::move(ok).error();
  }
  return store;
}

int spool_exit(const Error& e) {
  return e.code == Errc::untrusted ? kExCantCreat : spool_create_exit(e.sys_errno);
}

}  // namespace rm
