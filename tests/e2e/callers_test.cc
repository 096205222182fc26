// End-to-end caller replays (SENDMAIL.md §1): each row of the caller table, with the exact argv
// and the exact stdin bytes that caller produces, run against the built relaymail; then
// `relaymail flush` and a look at what the fake smarthost received.
//
// Deviation from the real callers, on purpose: stdout and stderr are captured (atd and sudo give
// /dev/null) so that "nothing on stdout or stderr" can be asserted; behaviour 69 in
// behaviours_test.cc runs with /dev/null and closed descriptors. Every caller runs as the test's
// uid; behaviour 70 covers other uids.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "e2e/served.h"

namespace rm::e2e {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// The login name of the real uid: the envelope sender when a caller passes no -f (behaviour 57).
std::string login() {
  const struct passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_name : "";
}

std::string home() {
  const struct passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "/";
}

// The body of a caller's input: everything after its first empty line (LF or CRLF ended).
std::string input_body(const std::string& input) {
  size_t pos = 0;
  while (pos < input.size()) {
    size_t nl = input.find('\n', pos);
    if (nl == std::string::npos) {
      return "";
    }
    bool empty = nl == pos || (nl == pos + 1 && input[pos] == '\r');
    pos = nl + 1;
    if (empty) {
      return input.substr(pos);
    }
  }
  return "";
}

enum class Start {
  exec,   // execv(path, args): argv[0] is the full path
  shell,  // popen()/sh -c "path args…" (PHP, PHPMailer, logwatch, mdadm)
  atd,    // argv[0] "sendmail", stdin a seekable file, cwd / (at 3.2.5 atd.c)
  sudo,   // argv[0] "sendmail", env exactly HOME=/ PATH LOGNAME=root USER=root, setsid, cwd /
};

struct CallerCase {
  const char* caller;  // the SENDMAIL.md §1 row
  Start start = Start::exec;
  std::vector<std::string> args = {};  // after argv[0], exactly as the caller builds them
  std::string input = {};              // the exact stdin bytes
  bool stdin_file = false;             // stdin is a regular (seekable) file: anacron, atd
  bool cwd_home = false;               // cron runs the MTA in the crontab owner's $HOME
  // What the smarthost must receive.
  std::string from = {};                                          // envelope sender
  std::vector<std::string> to = {};                               // envelope recipients, any order
  std::vector<std::pair<std::string, std::string>> headers = {};  // fields that must be present
  std::vector<std::string> absent = {};  // strings that must not occur in the message bytes
};

const std::string kLocal = "@example.com";  // the World's default domain

std::vector<CallerCase> caller_cases() {
  const std::string me = login() + kLocal;
  return {
      {.caller = "Debian cron 3.0pl1-162, MAILTO unset",
       .args = {"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"},
       .input = "From: root (Cron Daemon)\n"
                "To: root\n"
                "Subject: Cron <root@client> test -x /usr/sbin/anacron || ( cd / && run-parts "
                "--report /etc/cron.daily )\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=UTF-8\n"
                "Content-Transfer-Encoding: 8bit\n"
                "X-Cron-Env: <SHELL=/bin/sh>\n"
                "X-Cron-Env: <HOME=/root>\n"
                "X-Cron-Env: <PATH=/usr/bin:/bin>\n"
                "X-Cron-Env: <LOGNAME=root>\n"
                "\n"
                "/etc/cron.daily/logrotate:\n"
                "error: skipping \"/var/log/syslog\" because parent directory has insecure "
                "permissions\n",
       .cwd_home = true,
       .from = me,
       .to = {"root" + kLocal},
       .headers = {{"From", "root@example.com (Cron Daemon)"}, {"To", "root@example.com"}}},
      {.caller = "Debian cron 3.0pl1-162, MAILTO=\"alice@example.org, bob@example.net\" "
                 "(blank-split)",
       .args = {"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "alice@example.org,",
                "bob@example.net"},
       .input = "From: root (Cron Daemon)\n"
                "To: alice@example.org, bob@example.net\n"
                "Subject: Cron <root@client> /usr/local/bin/check-disk (failed)\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=UTF-8\n"
                "Content-Transfer-Encoding: 8bit\n"
                "X-Cron-Env: <MAILTO=alice@example.org, bob@example.net>\n"
                "X-Cron-Env: <SHELL=/bin/sh>\n"
                "\n"
                "/dev/sda1 is 97% full\n",
       .cwd_home = true,
       .from = me,
       .to = {"alice@example.org", "bob@example.net"},
       .headers = {{"To", "alice@example.org, bob@example.net"}}},
      {.caller = "cronie",
       .args = {"-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"},
       .input = "From: \"(Cron Daemon)\" <root>\n"
                "To: root\n"
                "Subject: Cron <root@client> /usr/local/sbin/backup --quiet\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=\"UTF-8\"\n"
                "Content-Transfer-Encoding: 8bit\n"
                "Precedence: bulk\n"
                "Auto-Submitted: auto-generated\n"
                "X-Cron-Env: <SHELL=/bin/sh>\n"
                "X-Cron-Env: <HOME=/root>\n"
                "X-Cron-Env: <LOGNAME=root>\n"
                "X-Cron-Env: <USER=root>\n"
                "\n"
                "backup: 3 files changed, 0 errors\n",
       .cwd_home = true,
       .from = "root" + kLocal,
       .to = {"root" + kLocal},
       .headers = {{"From", "\"(Cron Daemon)\" <root@example.com>"}, {"To", "root@example.com"}}},
      {.caller = "anacron 2.3 (no -i, stdin a temp file)",
       .args = {"-FAnacron", "-odi", "root"},
       .input = "From: Anacron <root>\n"
                "To: root\n"
                "Content-Type: text/plain; charset=\"UTF-8\"\n"
                "Subject: Anacron job 'cron.daily' on client\n"
                "\n"
                "/etc/cron.daily/man-db:\n"
                "mandb: can't set the locale; make sure $LC_* and $LANG are correct\n",
       .stdin_file = true,
       .from = me,
       .to = {"root" + kLocal},
       .headers = {{"From", "Anacron <root@example.com>"}}},
      {.caller = "systemd-cron 2.x mail_for_job (-B 8BITMIME separate, CTE binary)",
       .args = {"-i", "-B", "8BITMIME", "root"},
       .input = "Date: Tue, 04 Mar 2025 06:25:02 +0000\n"
                "From: root (systemd-cron)\n"
                "To: root\n"
                "Subject: [client] job cron-daily-backup.service failed\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=UTF-8\n"
                "Content-Transfer-Encoding: binary\n"
                "Auto-Submitted: auto-generated\n"
                "\n"
                "\xc3\x97 cron-daily-backup.service - [Cron] \"backup\"\n"
                "     Loaded: loaded (/run/systemd/generator/cron-daily-backup.service; static)\n"
                "     Active: failed (Result: exit-code)\n",
       .from = me,
       .to = {"root" + kLocal},
       .headers = {{"Date", "Tue, 04 Mar 2025 06:25:02 +0000"}}},
      {.caller = "at 3.2.5 atd (argv[0] \"sendmail\", -i <login>, stdin a file, cwd /)",
       .start = Start::atd,
       .args = {"-i", login()},
       .input = "Subject: Output from your job        7\n"
                "To: " +
                login() +
                "\n"
                "\n"
                "backup done\n",
       .stdin_file = true,
       .from = me,
       .to = {me},
       .headers = {{"Subject", "Output from your job        7"}, {"To", me}}},
      {.caller = "sudo 1.9 eventlog (argv[0] basename, -t, minimal env, setsid, cwd /)",
       .start = Start::sudo,
       .args = {"-t"},
       .input = "To: root\n"
                "From: alice\n"
                "Auto-Submitted: auto-generated\n"
                "Subject: *** SECURITY information for client ***\n"
                "\n"
                "client : Mar  4 10:15:00 : alice : user NOT in sudoers ; TTY=pts/0 ; "
                "PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id\n",
       .from = me,
       .to = {"root" + kLocal},
       .headers = {{"From", "alice@example.com"}, {"To", "root@example.com"}}},
      {.caller = "PHP mail() 8.2 (sh -c, -t -i, CRLF separators around an LF body)",
       .start = Start::shell,
       .args = {"-t", "-i"},
       .input = "To: bob@example.org\r\n"
                "Subject: Order #1042 shipped\r\n"
                "X-PHP-Originating-Script: 33:order.php\r\n"
                "From: shop@example.org\r\n"
                "Reply-To: support@example.org\r\n"
                "\r\n"
                "Dear Bob,\n"
                "\n"
                "your order #1042 has shipped.\n"
                "\r\n",
       .from = me,
       .to = {"bob@example.org"},
       .headers = {{"From", "shop@example.org"},
                   {"X-PHP-Originating-Script", "33:order.php"},
                   {"Reply-To", "support@example.org"}}},
      {.caller = "PHPMailer 6.12 isSendmail() (sh -c, -oi -f<sender> -t, LF, Bcc)",
       .start = Start::shell,
       .args = {"-oi", "-fbounce@shop.example.org", "-t"},
       .input = "Date: Tue, 4 Mar 2025 10:15:00 +0000\n"
                "To: Bob Example <bob@example.org>\n"
                "From: Shop <shop@example.org>\n"
                "Bcc: audit@example.net\n"
                "Subject: Your invoice INV-2025-0042\n"
                "Message-ID: <Jx9kQ2pV7bLm3nR8sT1u@shop.example.org>\n"
                "X-Mailer: PHPMailer 6.12.0 (https://github.com/PHPMailer/PHPMailer)\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=iso-8859-1\n"
                "\n"
                "Hello Bob,\n"
                "\n"
                "your invoice INV-2025-0042 is attached.\n",
       .from = "bounce@shop.example.org",
       .to = {"bob@example.org", "audit@example.net"},
       .headers = {{"Date", "Tue, 4 Mar 2025 10:15:00 +0000"},
                   {"Message-ID", "<Jx9kQ2pV7bLm3nR8sT1u@shop.example.org>"},
                   {"To", "Bob Example <bob@example.org>"}},
       .absent = {"audit@example.net"}},
      {.caller = "WordPress wp_mail() (PHPMailer isMail() via PHP mail(): all CRLF, Bcc)",
       .start = Start::shell,
       .args = {"-t", "-i"},
       .input = "To: admin@example.org\r\n"
                "Subject: [My Blog] Password Reset\r\n"
                "Date: Tue, 4 Mar 2025 10:15:00 +0000\r\n"
                "From: WordPress <wordpress@blog.example.org>\r\n"
                "Bcc: editor@example.net\r\n"
                "Message-ID: <kT3vQ9Lx2Wb8@blog.example.org>\r\n"
                "X-Mailer: PHPMailer 6.9.3 (https://github.com/PHPMailer/PHPMailer)\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=UTF-8\r\n"
                "\r\n"
                "Someone has requested a password reset for the following account:\r\n"
                "\r\n"
                "Site Name: My Blog\r\n"
                "\r\n",
       .from = me,
       .to = {"admin@example.org", "editor@example.net"},
       .headers = {{"From", "WordPress <wordpress@blog.example.org>"}},
       .absent = {"editor@example.net"}},
      {.caller = "bsd-mailx 8.1.2 (-i -t -f, To with a bare name, Cc, Bcc, 8bit)",
       .args = {"-i", "-t", "-f", "alice@example.org"},
       .input = "To: root, carol@example.org\n"
                "Cc: dave@example.org\n"
                "Bcc: eve@example.net\n"
                "Subject: disk usage\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=\"UTF-8\"\n"
                "Content-Transfer-Encoding: 8bit\n"
                "From: alice@example.org\n"
                "\n"
                "/dev/sda1 is 91% full (Gr\xc3\xb6\xc3\x9f"
                "e 120 GiB)\n",
       .from = "alice@example.org",
       .to = {"root" + kLocal, "carol@example.org", "dave@example.org", "eve@example.net"},
       .headers = {{"To", "root@example.com, carol@example.org"}, {"Cc", "dave@example.org"}},
       .absent = {"eve@example.net"}},
      {.caller = "s-nail 14.9 (-i -f from -- rcpt…, Bcc already moved to argv)",
       .args = {"-i", "-f", "alice@example.org", "--", "bob@example.org", "carol@example.org",
                "dave@example.net"},
       .input = "Date: Tue, 04 Mar 2025 10:15:00 +0000\n"
                "To: bob@example.org\n"
                "Cc: carol@example.org\n"
                "Subject: lunch\n"
                "Message-ID: <20250304101500.AbCdEfGh@client.test>\n"
                "User-Agent: s-nail v14.9.24\n"
                "From: alice@example.org\n"
                "\n"
                "see you at noon\n",
       .from = "alice@example.org",
       .to = {"bob@example.org", "carol@example.org", "dave@example.net"},
       .headers = {{"Message-ID", "<20250304101500.AbCdEfGh@client.test>"}}},
      {.caller = "GNU mailutils mail 3.15 (-oi -f user@host -t, no From:)",
       .args = {"-oi", "-f", "alice@vm.example.org", "-t"},
       .input = "To: <bob@example.org>,<carol@example.org>\n"
                "Cc: <dave@example.org>\n"
                "Bcc: <eve@example.net>\n"
                "Subject: backup finished\n"
                "Date: Tue, 04 Mar 2025 10:15:00 +0000\n"
                "User-Agent: mail (GNU Mailutils 3.15)\n"
                "\n"
                "All volumes backed up.\n",
       .from = "alice@vm.example.org",
       .to = {"bob@example.org", "carol@example.org", "dave@example.org", "eve@example.net"},
       .headers = {{"To", "<bob@example.org>,<carol@example.org>"}},
       .absent = {"eve@example.net"}},
      {.caller = "mutt 2.2 (-oem -oi -B8BITMIME -f a -N failure,delay -R hdrs -- b…)",
       .args = {"-oem", "-oi", "-B8BITMIME", "-f", "alice@example.org", "-N", "failure,delay", "-R",
                "hdrs", "--", "bob@example.org", "carol@example.net"},
       .input = "Date: Tue, 4 Mar 2025 10:15:00 +0000\n"
                "From: Alice Example <alice@example.org>\n"
                "To: Bob <bob@example.org>\n"
                "Subject: Re: draft\n"
                "Message-ID: <Z8bc1234abcd@laptop.example.org>\n"
                "In-Reply-To: <Z8ba0000ffff@laptop.example.org>\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\n"
                "Content-Disposition: inline\n"
                "Content-Transfer-Encoding: 8bit\n"
                "User-Agent: Mutt/2.2.9 (2022-11-12)\n"
                "\n"
                "Looks good \xe2\x80\x94 ship it.\n"
                "\n"
                "> quoted line\n",
       .from = "alice@example.org",
       .to = {"bob@example.org", "carol@example.net"},
       .headers = {{"From", "Alice Example <alice@example.org>"},
                   {"Message-ID", "<Z8bc1234abcd@laptop.example.org>"}}},
      {.caller = "git send-email 2.39 (-f env -i rcpt…, no --, Bcc in argv)",
       .args = {"-f", "alice@example.org", "-i", "bob@example.org", "carol@example.org",
                "dave@example.net"},
       .input = "From: Alice Example <alice@example.org>\n"
                "To: bob@example.org\n"
                "Cc: carol@example.org\n"
                "Subject: [PATCH 1/2] relay: fix the thing\n"
                "Date: Tue,  4 Mar 2025 10:15:00 +0000\n"
                "Message-ID: <20250304101500.12345-1-alice@example.org>\n"
                "X-Mailer: git-send-email 2.39.5\n"
                "MIME-Version: 1.0\n"
                "Content-Transfer-Encoding: 8bit\n"
                "\n"
                "The thing was broken.\n"
                "\n"
                "Signed-off-by: Alice Example <alice@example.org>\n"
                "---\n"
                " src/relay/x.cc | 2 +-\n"
                " 1 file changed, 1 insertion(+), 1 deletion(-)\n"
                "\n"
                "diff --git a/src/relay/x.cc b/src/relay/x.cc\n"
                "index 1111111..2222222 100644\n"
                "--- a/src/relay/x.cc\n"
                "+++ b/src/relay/x.cc\n"
                "@@ -1,3 +1,3 @@\n"
                " int x() {\n"
                "-  return 1;\n"
                "+  return 2;\n"
                " }\n"
                "-- \n"
                "2.39.5\n"
                "\n",
       .from = "alice@example.org",
       .to = {"bob@example.org", "carol@example.org", "dave@example.net"},
       .headers = {{"Date", "Tue,  4 Mar 2025 10:15:00 +0000"}}},
      {.caller = "Rails ActionMailer / mail gem (-i -f x -- to…)",
       .args = {"-i", "-f", "noreply@app.example.org", "--", "bob@example.org",
                "carol@example.org"},
       .input = "Date: Tue, 04 Mar 2025 10:15:00 +0000\n"
                "From: App <noreply@app.example.org>\n"
                "To: bob@example.org, carol@example.org\n"
                "Message-ID: <67c6d2a4a1b2c_1a2b3c4d5e6f@app.mail>\n"
                "Subject: Welcome\n"
                "Mime-Version: 1.0\n"
                "Content-Type: text/plain; charset=UTF-8\n"
                "Content-Transfer-Encoding: 7bit\n"
                "\n"
                "Welcome to the app, Bob!\n",
       .from = "noreply@app.example.org",
       .to = {"bob@example.org", "carol@example.org"},
       .headers = {{"Mime-Version", "1.0"}}},
      {.caller = "unattended-upgrades 2.9 (-oi -t, From: root, To: root, QP, no Date/ID)",
       .args = {"-oi", "-t"},
       .input = "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=\"utf-8\"\n"
                "Content-Transfer-Encoding: quoted-printable\n"
                "Subject: =?utf-8?q?unattended-upgrades_result_for_client=3A_SUCCESS?=\n"
                "From: root\n"
                "To: root\n"
                "Auto-Submitted: auto-generated\n"
                "\n"
                "Unattended upgrade result: All upgrades installed\n"
                "\n"
                "Packages that were upgraded:\n"
                " libssl3 openssl =E2=80=94 security\n"
                "\n"
                "Unattended-upgrades log:\n"
                "Allowed origins are: origin=3DDebian,codename=3Dbookworm,label=3DDebian-Secur=\n"
                "ity\n",
       .from = me,
       .to = {"root" + kLocal},
       .headers = {{"From", "root@example.com"}, {"To", "root@example.com"}}},
      {.caller = "apt-listchanges (-oi -t, no From:, To: root)",
       .args = {"-oi", "-t"},
       .input = "Subject: apt-listchanges: news for client\n"
                "To: root\n"
                "Auto-Submitted: auto-generated\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=\"utf-8\"\n"
                "Content-Transfer-Encoding: 8bit\n"
                "\n"
                "openssl (3.0.15-1~deb12u1) bookworm-security; urgency=medium\n"
                "\n"
                "  * Fix CVE-2024-5535.\n",
       .from = me,
       .to = {"root" + kLocal},
       .headers = {{"To", "root@example.com"}}},
      {.caller = "logwatch 7.7 (sh -c, -t without -i, one To: per address, From: Logwatch)",
       .start = Start::shell,
       .args = {"-t"},
       .input = "To: root\n"
                "To: ops@example.org\n"
                "From: Logwatch\n"
                "Subject: Logwatch for client (Linux)\n"
                "Auto-Submitted: auto-generated\n"
                "MIME-Version: 1.0\n"
                "Content-Transfer-Encoding: 7bit\n"
                "Content-Type: text/plain; charset=\"UTF-8\"\n"
                "\n"
                "\n"
                " ################### Logwatch 7.7 (07/22/22) #################### \n"
                "        Processing Initiated: Tue Mar  4 06:25:02 2025\n"
                "        Date Range Processed: yesterday\n"
                "        Logfiles for Host: client\n"
                " ################################################################## \n"
                "\n"
                " --------------------- sshd Begin ------------------------ \n"
                "\n"
                " Illegal users from:\n"
                "    203.0.113.7: 5 times\n"
                "\n"
                " ---------------------- sshd End ------------------------- \n"
                "\n"
                " ###################### Logwatch End ######################### \n",
       .from = me,
       .to = {"root" + kLocal, "ops@example.org"},
       .headers = {{"To", "root@example.com"},
                   {"To", "ops@example.org"},
                   {"From", "Logwatch@example.com"}}},
      {.caller = "mdadm 4.2 --monitor (popen sh -c, -t without -i)",
       .start = Start::shell,
       .args = {"-t"},
       .input = "From: mdadm monitoring <root@client.test>\n"
                "To: root\n"
                "Subject: Fail event on /dev/md0:client\n"
                "\n"
                "This is an automatically generated mail message from mdadm\n"
                "running on client\n"
                "\n"
                "A Fail event had been detected on md device /dev/md0.\n"
                "\n"
                "It could be related to component device /dev/sdb1.\n"
                "\n"
                "Faithfully yours, etc.\n"
                "\n"
                "P.S. The /proc/mdstat file currently contains the following:\n"
                "\n"
                "Personalities : [raid1] \n"
                "md0 : active raid1 sdb1[1](F) sda1[0]\n"
                "      1046528 blocks super 1.2 [2/1] [U_]\n"
                "      \n"
                "unused devices: <none>\n",
       .from = me,
       .to = {"root" + kLocal},
       .headers = {{"From", "mdadm monitoring <root@client.test>"}, {"To", "root@example.com"}}},
      {.caller = "fail2ban 1.0 (-f fail2ban root: no -i, no -t, unqualified names)",
       .args = {"-f", "fail2ban", "root"},
       .input = "Subject: [Fail2Ban] sshd: banned 203.0.113.7 from client\n"
                "Date: Tue, 04 Mar 2025 10:15:00 +0000\n"
                "From: Fail2Ban <fail2ban>\n"
                "To: root\n"
                "\n"
                "Hi,\n"
                "\n"
                "The IP 203.0.113.7 has just been banned by Fail2Ban after\n"
                "5 attempts against sshd.\n"
                "\n"
                "Regards,\n"
                "\n"
                "Fail2Ban\n",
       .from = "fail2ban" + kLocal,
       .to = {"root" + kLocal},
       .headers = {{"From", "Fail2Ban <fail2ban@example.com>"}, {"To", "root@example.com"}}},
  };
}

SpawnSpec caller_spec(const World& w, const CallerCase& c) {
  SpawnSpec s = w.sendmail_spec(c.args, c.input);
  if (c.stdin_file) {
    std::string file = w.dir() + "/stdin.txt";
    write_file(file, c.input);
    s.stdin_file = file;
    s.input.clear();
  }
  if (c.cwd_home) {
    s.cwd = home();
  }
  switch (c.start) {
    case Start::exec:
      break;
    case Start::shell: {
      std::string cmd = s.path;
      for (const auto& a : c.args) {
        cmd += " " + a;
      }
      s.path = "/bin/sh";
      s.args = {"-c", cmd};
      break;
    }
    case Start::atd:
      s.argv0 = "sendmail";
      s.cwd = "/";
      break;
    case Start::sudo:
      s.argv0 = "sendmail";
      s.cwd = "/";
      s.new_session = true;
      s.exact_env =
          std::vector<std::string>{"HOME=/", "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LOGNAME=root",
                                   "USER=root", "RELAYMAIL_CONFIG=" + w.config_path()};
      break;
  }
  return s;
}

// SENDMAIL.md §1, every row that pipes a message into sendmail; behaviours 1, 13, 18, 26, 34,
// 47, 49, 50, 51, 53, 58 and 69/70 as each caller exercises them.
// Run once in queue mode (relaymail flush delivers) and once in daemon mode (relaymaild serve
// takes the message over its socket and delivers it at once; the flush finds nothing left).
class Callers : public ::testing::TestWithParam<const char*> {};

INSTANTIATE_TEST_SUITE_P(Delivery, Callers, ::testing::Values("queue", "daemon"),
                         [](const auto& info) { return std::string(info.param); });

TEST_P(Callers, ReplayEachCallerAndCheckWhatTheSmarthostReceives) {
  const std::string mode = GetParam();
  if (mode == "daemon" && ::getuid() != 0) {
    GTEST_SKIP() << "the queue run of daemon mode is root's (or daemon.admin_group's)";
  }
  for (const CallerCase& c : caller_cases()) {
    SCOPED_TRACE(c.caller);
    World w;
    Smtpd srv(w.dir(), {});
    ASSERT_TRUE(srv.start());
    w.write_config(srv, mode);
    std::unique_ptr<Served> daemon;
    if (mode == "daemon") {
      const std::string socket = w.dir() + "/submit.sock";
      ASSERT_TRUE(write_file(w.config_path(),
                             read_file(w.config_path()) + "daemon = { socket = \"" + socket +
                                 "\"; user = \"root\"; };\n",
                             0600));
      daemon = std::make_unique<Served>(w.config_path(), w.dir() + "/serve.log");
      ASSERT_TRUE(wait_until([&] { return answers(socket); }, std::chrono::seconds(20)));
    }

    SpawnResult r = spawn(caller_spec(w, c));
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "");

    Delivered d = flush_and_collect(w, srv, 1);
    EXPECT_EQ(d.flush.exit_code, 0) << d.flush.err;
    if (d.messages.size() != 1 || d.envelopes.size() != 1) {
      ADD_FAILURE() << "the smarthost got " << d.messages.size() << " messages, not 1";
      continue;
    }
    // The daemon removes an entry a moment after the smarthost's 250.
    EXPECT_TRUE(wait_until([&] { return w.queued() == 0; }, std::chrono::seconds(10)));
    const std::string& msg = d.messages[0];
    const Envelope& env = d.envelopes[0];
    EXPECT_EQ(env.from, c.from);
    EXPECT_THAT(env.to, UnorderedElementsAreArray(c.to));

    EXPECT_EQ(first_bare_eol(msg), std::string::npos) << "line endings must be CRLF only";
    EXPECT_THAT(header_values(msg, "Bcc"), testing::IsEmpty());
    EXPECT_THAT(header_values(msg, "Resent-Bcc"), testing::IsEmpty());
    for (const char* name : {"From", "Date", "Message-ID"}) {
      EXPECT_EQ(header_values(msg, name).size(), 1u) << name;
    }
    for (const auto& [name, value] : c.headers) {
      EXPECT_THAT(header_values(msg, name), Contains(value)) << name;
    }
    for (const auto& s : c.absent) {
      EXPECT_THAT(msg, Not(HasSubstr(s)));
    }
    EXPECT_EQ(body_of(msg), to_crlf(input_body(c.input))) << "body bytes";
  }
}

}  // namespace
}  // namespace rm::e2e
