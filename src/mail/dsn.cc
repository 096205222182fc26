#include "mail/dsn.h"

#include <cctype>

#include "core/error.h"
#include "core/strings.h"
#include "mail/line_reader.h"
#include "mail/rfc5322.h"

namespace rm {
namespace {

// Field values stay well inside the 998-octet line limit whatever the caller passes.
constexpr size_t kMaxValue = 512;
constexpr size_t kFlushAt = size_t{64} * 1024;
constexpr size_t kMaxPiece = size_t{16} * 1024;

// Printable ASCII only: controls (CR, LF, TAB, NUL…), DEL and 8-bit bytes become '?', or with
// `spaces` false a space does too (hosts, addresses). Capped at kMaxValue octets.
std::string sanitise(std::string_view in, bool spaces = true) {
  std::string out;
  for (char ch : in) {
    if (out.size() >= kMaxValue) {
      break;
    }
    auto c = static_cast<unsigned char>(ch);
    bool ok = c > 0x20 && c < 0x7f;
    out += (ok || (spaces && c == ' ')) ? ch : '?';
  }
  return out;
}

bool valid_status(std::string_view s) {
  // class "." subject "." detail; class 2, 4 or 5; subject and detail 1-3 digits.
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') {
    return false;
  }
  size_t dots = 0;
  size_t run = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (run == 0 || ++dots > 1) {
        return false;
      }
      run = 0;
    } else if (std::isdigit(static_cast<unsigned char>(s[i])) == 0 || ++run > 3) {
      return false;
    }
  }
  return dots == 1 && run > 0;
}

// "550 ..." is an SMTP reply (diagnostic-type smtp); anything else is our own text.
bool is_smtp_reply(std::string_view s) {
  return s.size() >= 3 && s[0] >= '2' && s[0] <= '5' &&
         std::isdigit(static_cast<unsigned char>(s[1])) != 0 &&
         std::isdigit(static_cast<unsigned char>(s[2])) != 0 && (s.size() == 3 || s[3] == ' ');
}

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h ^ 0xff;  // a separator, so ("ab","c") and ("a","bc") differ
}

// Buffers writes to the sink; the first sink error is sticky.
class Out {
 public:
  explicit Out(ByteSink& sink) : sink_(sink) {}
  void put(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kFlushAt) {
      flush();
    }
  }
  void line(std::string_view s) {
    put(s);
    put("\r\n");
  }
  void field(std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    line(value);
  }
  Status finish() {
    flush();
    return status_;
  }
  bool failed() const { return !status_.has_value(); }

 private:
  void flush() {
    if (status_ && !buf_.empty()) {
      status_ = sink_.write(buf_);
    }
    buf_.clear();
  }
  ByteSink& sink_;
  std::string buf_;
  Status status_;
};

bool delayed(const DsnInput& in) {
  return in.action == DsnAction::delayed;
}

// The Status field: a bounce's is any valid code (a 4.4.7 expiry too), a warning's a 4.y.z one.
std::string status_field(const DsnInput& in, const std::string& status) {
  if (delayed(in)) {
    return valid_status(status) && status[0] == '4' ? status : std::string("4.0.0");
  }
  return valid_status(status) ? status : std::string("5.0.0");
}

void write_headers(const DsnInput& in, Out& o, const std::string& boundary, int32_t off) {
  std::string host = sanitise(in.reporting_mta, false);
  o.field("From", render_mailbox("Mail Delivery System", "MAILER-DAEMON@" + host));
  o.field("To", "<" + sanitise(in.to, false) + ">");
  o.field("Subject", delayed(in) ? "Delayed Mail (still being retried, no action needed yet)"
                                 : "Undelivered Mail Returned to Sender");
  o.field("Date", format_rfc5322_date(in.now, off));
  o.field("Message-ID", "<" + sanitise(in.unique, false) + "@" + host + ">");
  o.field("Auto-Submitted", "auto-replied");
  o.field("MIME-Version", "1.0");
  o.field("Content-Type", "multipart/report; report-type=delivery-status;");
  o.line("\tboundary=\"" + boundary + "\"");
  o.line("");
  o.line("This is a MIME-encapsulated message.");
  o.line("");
}

void write_text_part(const DsnInput& in, Out& o, int32_t off) {
  o.line("Content-Description: Notification");
  o.line("Content-Type: text/plain; charset=us-ascii");
  o.line("");
  o.line("This is the mail system at host " + sanitise(in.reporting_mta, false) + ".");
  o.line("");
  const std::string attached =
      in.headers_only ? "Its headers are attached below." : "It's attached below.";
  if (delayed(in)) {
    o.line("This is a warning only: you do not need to resend your message.");
    o.line("");
    o.line("Your message could not be delivered yet to one or more recipients;");
    o.line("delivery is still being retried. " + attached);
    if (in.will_retry_until != 0) {
      o.line("Retries end on " + format_rfc5322_date(in.will_retry_until, off) + ".");
    }
  } else {
    o.line("I'm sorry to have to inform you that your message could not");
    o.line("be delivered to one or more recipients. " + attached);
  }
  o.line("");
  if (!in.original_sender.empty()) {
    o.line("The message was sent by <" + sanitise(in.original_sender, false) + ">.");
    o.line("");
  }
  for (const DsnRecipient& r : in.failed) {
    std::string text = "<" + sanitise(r.addr, false) + ">: ";
    if (!r.remote_mta.empty()) {
      text += "host " + sanitise(r.remote_mta, false) + " said: ";
    }
    text += r.diagnostic.empty() ? std::string(delayed(in) ? "delivery delayed" : "delivery failed")
                                 : sanitise(r.diagnostic);
    o.line(text);
  }
  o.line("");
}

void write_status_part(const DsnInput& in, Out& o, int32_t off) {
  o.line("Content-Description: Delivery report");
  o.line("Content-Type: message/delivery-status");
  o.line("");
  if (!in.original_envid.empty()) {
    o.field("Original-Envelope-Id", sanitise(in.original_envid, false));
  }
  o.field("Reporting-MTA", "dns; " + sanitise(in.reporting_mta, false));
  o.field("X-Relaymail-Queue-ID", sanitise(in.queue_id, false));
  o.field("Arrival-Date", format_rfc5322_date(in.arrival, off));
  for (const DsnRecipient& r : in.failed) {
    o.line("");
    o.field("Final-Recipient", "rfc822; " + sanitise(r.addr, false));
    o.field("Action", delayed(in) ? "delayed" : "failed");
    o.field("Status", status_field(in, r.status));
    if (!r.remote_mta.empty()) {
      o.field("Remote-MTA", "dns; " + sanitise(r.remote_mta, false));
    }
    if (!r.diagnostic.empty()) {
      std::string text = sanitise(r.diagnostic);
      o.field("Diagnostic-Code", (is_smtp_reply(text) ? "smtp; " : "X-Relaymail; ") + text);
    }
    o.field("Last-Attempt-Date",
            format_rfc5322_date(r.last_attempt != 0 ? r.last_attempt : in.now, off));
    if (delayed(in) && in.will_retry_until != 0) {
      o.field("Will-Retry-Until", format_rfc5322_date(in.will_retry_until, off));
    }
  }
  o.line("");
}

// Copies the original line by line. The first piece of each line is at most as long as the
// delimiter, so a line that would close a part is recognised without buffering the line.
Status copy_original(const DsnInput& in, ByteSource& original, Out& o,
                     const std::string& delimiter) {
  LineReader reader(original);
  std::string piece;
  LineReader::End end = LineReader::End::lf;
  bool line_start = true;
  while (!o.failed()) {
    auto got = reader.next(piece, end, line_start ? delimiter.size() : kMaxPiece);
    if (!got) {
      return std::move(got).error();
    }
    if (!*got) {
      break;
    }
    if (line_start && in.headers_only && piece.empty() && end == LineReader::End::lf) {
      break;  // the empty line that ends the header block
    }
    if (line_start && piece == delimiter) {
      o.put(" ");
    }
    o.put(piece);
    line_start = end != LineReader::End::more;
    if (line_start) {
      o.put("\r\n");
    }
  }
  return {};
}

}  // namespace

std::string dsn_boundary(const DsnInput& in) {
  uint64_t h = 14695981039346656037ULL;
  h = fnv1a(h, in.queue_id);
  h = fnv1a(h, in.unique);
  h = fnv1a(h, in.reporting_mta);
  h = fnv1a(h, std::to_string(in.now));
  std::string id;
  for (char c : in.queue_id) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 && id.size() < 24) {
      id += c;
    }
  }
  return format("=_%s.%llx/%016llx", id.c_str(), static_cast<unsigned long long>(in.now),
                static_cast<unsigned long long>(h));
}

Status write_dsn(const DsnInput& in, ByteSource& original, ByteSink& out) {
  const int32_t off = in.utc_offset ? *in.utc_offset : local_utc_offset(in.now);
  const std::string boundary = dsn_boundary(in);
  const std::string delimiter = "--" + boundary;
  Out o(out);
  write_headers(in, o, boundary, off);
  o.line(delimiter);
  write_text_part(in, o, off);
  o.line(delimiter);
  write_status_part(in, o, off);
  o.line(delimiter);
  const std::string what = delayed(in) ? "Delayed Message" : "Undelivered Message";
  if (in.headers_only) {
    o.line("Content-Description: " + what + " Headers");
    o.line("Content-Type: text/rfc822-headers");
  } else {
    o.line("Content-Description: " + what);
    o.line("Content-Type: message/rfc822");
  }
  if (in.eightbit) {
    o.line("Content-Transfer-Encoding: 8bit");
  }
  o.line("");
  if (auto r = copy_original(in, original, o, delimiter); !r) {
    return r;
  }
  o.line("");
  o.line(delimiter + "--");
  return o.finish();
}

namespace {

// True when the NOTIFY list (comma-separated, case-insensitive, blanks around words ignored)
// holds `word` (lower case).
bool notify_has(std::string_view dsn_notify, std::string_view word) {
  while (!dsn_notify.empty()) {
    size_t comma = dsn_notify.find(',');
    std::string_view item = trim(dsn_notify.substr(0, comma), kBlanks);
    dsn_notify.remove_prefix(comma == std::string_view::npos ? dsn_notify.size() : comma + 1);
    std::string lower;
    for (char c : item) {
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (lower == word) {
      return true;
    }
  }
  return false;
}

// No DSN of the kind `word` names ("failure", "delay") for this sender and NOTIFY list.
bool must_not_notify(std::string_view envelope_sender, std::string_view dsn_notify,
                     std::string_view word) {
  if (envelope_sender.empty() || envelope_sender == "<>") {
    return true;
  }
  if (dsn_notify.empty()) {
    return false;  // not given: the default is FAILURE and DELAY
  }
  return notify_has(dsn_notify, "never") || !notify_has(dsn_notify, word);
}

}  // namespace

bool must_not_bounce(std::string_view envelope_sender, std::string_view dsn_notify) {
  return must_not_notify(envelope_sender, dsn_notify, "failure");
}

bool must_not_warn(std::string_view envelope_sender, std::string_view dsn_notify) {
  return must_not_notify(envelope_sender, dsn_notify, "delay");
}

}  // namespace rm
