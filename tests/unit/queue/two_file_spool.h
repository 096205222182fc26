// unit/queue/two_file_spool.h — entries in the spool format from before the one-file entry
// (queue/<id>.env with queue/<id>.msg), for the tests that such spools keep working.
// Contract: split_to_two_files() rewrites a committed one-file entry dir/<id>.mail as the two
// files a commit used to write, byte for byte: the envelope as dir/<id>.env, the message as
// dir/<id>.msg; the .mail is gone after it. Fails the test when the entry is not there.
// Threads: none. Not here: the format itself (queue/mail_file.h, queue/env_format.h).
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "queue/mail_file.h"
#include "sys/fs.h"

namespace rm::test {

inline void split_to_two_files(const std::string& dir, const std::string& id) {
  const std::string mail_path = dir + "/" + id + ".mail";
  auto mail = read_file(mail_path, size_t{1} << 28);
  ASSERT_TRUE(mail) << mail.error().what;
  auto head = parse_mail_line(*mail, mail->size());
  ASSERT_TRUE(head) << head.error().what;
  ASSERT_TRUE(write_file_atomic(dir, id + ".msg", mail->substr(head->body_offset)));
  ASSERT_TRUE(write_file_atomic(dir, id + ".env", mail->substr(head->line_len, head->env_len)));
  ASSERT_EQ(::unlink(mail_path.c_str()), 0) << mail_path;
}

}  // namespace rm::test
