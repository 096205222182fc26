// Tests for sys/fd_io.h: FdSource/FdSink over pipes, short writes and EINTR through the SysOps
// seam, non-blocking fds, sticky errors, errors that name the file, drain_fd.
#include "sys/fd_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>

#include "unit/sys/fault_ops.h"

namespace rm {
namespace {

using test::FaultOps;

struct Pipe {
  UniqueFd r;
  UniqueFd w;
};

Pipe make_pipe(bool nonblocking_write = false, bool nonblocking_read = false) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::abort();
  }
  Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
  if (nonblocking_write) {
    ::fcntl(p.w.get(), F_SETFL, O_NONBLOCK);
  }
  if (nonblocking_read) {
    ::fcntl(p.r.get(), F_SETFL, O_NONBLOCK);
  }
  return p;
}

std::string read_all(int fd) {
  FdSource src(fd);
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = src.read(buf);
    if (!n || *n == 0) {
      return out;
    }
    out.append(buf, *n);
  }
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  }
  return s;
}

TEST(FdSource, ReadsUntilEofAndOwnsWhenAsked) {
  Pipe p = make_pipe();
  ASSERT_TRUE(write_all(p.w.get(), "hello"));
  p.w.reset();
  FdSource owned(std::move(p.r));
  EXPECT_EQ(read_all(owned.fd()), "hello");
  char c;
  auto n = owned.read(std::span<char>(&c, 1));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(FdSource, WaitsOnNonBlockingFd) {
  Pipe p = make_pipe(false, /*nonblocking_read=*/true);
  std::string data = pattern(200000);
  std::thread writer([&] {
    EXPECT_TRUE(write_all(p.w.get(), data));
    p.w.reset();
  });
  std::string got = read_all(p.r.get());
  writer.join();
  EXPECT_EQ(got, data);
}

TEST(FdSource, ReadErrorIsReported) {
  FdSource src(-1);
  char c;
  auto n = src.read(std::span<char>(&c, 1));
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().sys_errno, EBADF);
}

TEST(FdSink, BuffersUntilFlushOrFull) {
  Pipe p = make_pipe(false, /*nonblocking_read=*/true);
  FdSink sink(p.w.get());
  ASSERT_TRUE(sink.write("abc"));
  char buf[8];
  EXPECT_EQ(::read(p.r.get(), buf, sizeof buf), -1);  // nothing written yet
  EXPECT_EQ(errno, EAGAIN);
  ASSERT_TRUE(sink.flush());
  EXPECT_EQ(::read(p.r.get(), buf, sizeof buf), 3);
  EXPECT_EQ(sink.bytes_written(), 3u);
  ASSERT_TRUE(sink.flush());  // empty flush is fine
}

TEST(FdSink, PartialWritesAndEintrDeliverEveryByte) {
  struct Case {
    const char* name;
    size_t max_write;
    int eintr_every;
    std::vector<size_t> chunks;  // sizes of successive write() calls
  };
  const Case kCases[] = {
      {.name = "small pieces, short writes",
       .max_write = 7,
       .eintr_every = 0,
       .chunks = {1, 2, 3, 5000, 70000, 1}},
      {.name = "eintr every other call",
       .max_write = 0,
       .eintr_every = 2,
       .chunks = {65535, 1, 65536, 200000}},
      {.name = "both", .max_write = 4093, .eintr_every = 3, .chunks = {100, 65536, 3, 131072}},
      {.name = "exact buffer", .max_write = 0, .eintr_every = 0, .chunks = {65536, 65536}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    size_t total = 0;
    for (size_t n : c.chunks) {
      total += n;
    }
    std::string data = pattern(total);
    Pipe p = make_pipe();
    std::string got;
    std::thread reader([&] { got = read_all(p.r.get()); });
    FaultOps ops;
    ops.max_write = c.max_write;
    ops.eintr_every = c.eintr_every;
    {
      FdSink sink(std::move(p.w), ops);
      size_t off = 0;
      for (size_t n : c.chunks) {
        ASSERT_TRUE(sink.write(std::string_view(data).substr(off, n)));
        off += n;
      }
      ASSERT_TRUE(sink.flush());
      EXPECT_EQ(sink.bytes_written(), total);
    }  // closes the owned write end: the reader sees EOF
    reader.join();
    EXPECT_EQ(got, data);
  }
}

TEST(FdSink, ErrorIsSticky) {
  Pipe p = make_pipe();
  FaultOps ops;
  ops.fail_write_at = 1;  // ENOSPC once; later writes would work
  FdSink sink(p.w.get(), ops);
  ASSERT_TRUE(sink.write("x"));
  auto r = sink.flush();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ENOSPC);
  EXPECT_FALSE(sink.write("y"));
  EXPECT_FALSE(sink.flush());
  EXPECT_EQ(ops.writes, 1);
}

// /dev/full fails every write with ENOSPC, as a full spool does: the error names the file when
// the caller said which, and falls back to the descriptor only when it did not.
TEST(FdSink, ErrorsNameTheFileTheyConcern) {
  struct Case {
    const char* name;
    std::string file_name;  // what the caller calls the fd; "" = nothing
    std::string want_prefix;
  };
  const Case kCases[] = {
      {.name = "named", .file_name = "/dev/full", .want_prefix = "write /dev/full: "},
      {.name = "unnamed", .file_name = "", .want_prefix = "write fd "},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(full.valid()) << strerror(errno);
    const std::string want_tail = std::string(": ") + strerror(ENOSPC);
    FdSink sink(full.get(), real_sys_ops(), c.file_name);
    ASSERT_TRUE(sink.write("queued bytes"));
    auto flushed = sink.flush();
    ASSERT_FALSE(flushed);
    EXPECT_EQ(flushed.error().sys_errno, ENOSPC);
    EXPECT_EQ(flushed.error().what.rfind(c.want_prefix, 0), 0u) << flushed.error().what;
    EXPECT_TRUE(flushed.error().what.ends_with(want_tail)) << flushed.error().what;
    auto direct = write_all(full.get(), "x", real_sys_ops(), c.file_name);
    ASSERT_FALSE(direct);
    EXPECT_EQ(direct.error().what, flushed.error().what);
  }
  FdSource src(-1, "/spool/queue/X.msg");
  char ch;
  auto n = src.read(std::span<char>(&ch, 1));
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().what, std::string("read /spool/queue/X.msg: ") + strerror(EBADF));
}

TEST(FdSink, LargeWriteGoesStraightThrough) {
  Pipe p = make_pipe();
  FaultOps ops;
  std::string data = pattern(3 * FdSink::kBufferSize);
  std::string got;
  std::thread reader([&] { got = read_all(p.r.get()); });
  {
    FdSink sink(std::move(p.w), ops);
    ASSERT_TRUE(sink.write(data));
    ASSERT_TRUE(sink.flush());
  }
  reader.join();
  EXPECT_EQ(got, data);
}

TEST(WriteAll, NonBlockingPipeWaitsInsteadOfFailing) {
  Pipe p = make_pipe(/*nonblocking_write=*/true);
  std::string data = pattern(1 << 20);  // far beyond the pipe's capacity
  std::string got;
  std::thread reader([&] { got = read_all(p.r.get()); });
  ASSERT_TRUE(write_all(p.w.get(), data));
  p.w.reset();
  reader.join();
  EXPECT_EQ(got, data);
}

TEST(WriteAll, ClosedReaderIsEpipeNotDeath) {
  struct sigaction old {};
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  Pipe p = make_pipe();
  p.r.reset();
  auto r = write_all(p.w.get(), "x");
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, EPIPE);
}

TEST(DrainFd, ReadsEverythingSoTheWriterNeverBlocks) {
  Pipe p = make_pipe();
  std::string data = pattern(500000);
  std::thread writer([&] {
    EXPECT_TRUE(write_all(p.w.get(), data));
    p.w.reset();
  });
  EXPECT_EQ(drain_fd(p.r.get()), data.size());
  writer.join();
  EXPECT_EQ(drain_fd(-1), 0u);
}

}  // namespace
}  // namespace rm
