// sys/sysexits.h — the exit codes relaymail uses, named after <sysexits.h> (DESIGN.md §4,
// SENDMAIL.md exit-status policy). Plain constants so callers need not include the libc header
// (and its macros). Submission never exits kExTempFail: 0 means "durably queued", anything else
// means "not accepted". No I/O. Which code applies is decided by cli/ and oneshot/, except the one
// errno rule below that every spool writer shares. Thread-safe (constants, a pure function).
#pragma once

#include <cerrno>

namespace rm {

inline constexpr int kExOk = 0;            // success
inline constexpr int kExUsage = 64;        // command line usage error
inline constexpr int kExDataErr = 65;      // data format error
inline constexpr int kExNoInput = 66;      // cannot open input
inline constexpr int kExNoUser = 67;       // addressee unknown
inline constexpr int kExUnavailable = 69;  // service unavailable
inline constexpr int kExSoftware = 70;     // internal software error
inline constexpr int kExOsErr = 71;        // system error (fork, resources)
inline constexpr int kExCantCreat = 73;    // cannot create (spool) file
inline constexpr int kExIoErr = 74;        // input/output error (incl. fsync, ENOSPC)
inline constexpr int kExTempFail = 75;     // temporary failure; never used by submission
inline constexpr int kExNoPerm = 77;       // permission denied
inline constexpr int kExConfig = 78;       // configuration error

// Exit status when the spool file or its directories could not be created (SENDMAIL.md
// behaviour 65): the disk failing or full (EIO, ENOSPC, EDQUOT) is an I/O error, 74; anything
// else (EACCES, EROFS, ENOTDIR, ...) means the spool cannot be created there, 73.
inline constexpr int spool_create_exit(int sys_errno) {
  return sys_errno == EIO || sys_errno == ENOSPC || sys_errno == EDQUOT ? kExIoErr : kExCantCreat;
}

}  // namespace rm
