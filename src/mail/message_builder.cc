// mail/message_builder.cc — the submission pipeline: LineReader → header block in memory →
// fixups → MessageWriter, then the body piece by piece. See message_builder.h for the rules.
#include "mail/message_builder.h"

#include <algorithm>
#include <string_view>

#include "mail/address.h"
#include "mail/header_block.h"
#include "mail/line_reader.h"
#include "mail/message_writer.h"
#include "mail/rfc5322.h"

namespace rm {
namespace {

// Body pieces: any size works (MessageWriter folds); this keeps the dot check on whole lines.
constexpr size_t kBodyPiece = size_t{8} * 1024;

bool is_dot_line(std::string_view raw) {
  return raw == "." || raw == ".\r";
}

void cr_to_space(std::string& s) {
  std::replace(s.begin(), s.end(), '\r', ' ');
}

bool is_recipient_field(std::string_view name, bool resent) {
  if (resent) {
    return iequals(name, "Resent-To") || iequals(name, "Resent-Cc") || iequals(name, "Resent-Bcc");
  }
  return iequals(name, "To") || iequals(name, "Cc") || iequals(name, "Bcc");
}

bool is_address_field(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "From",        "Sender",        "Reply-To",  "To",       "Cc",
      "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](std::string_view n) { return iequals(name, n); });
}

class Builder {
 public:
  Builder(ByteSource& in, ByteSink& out, const SubmitOptions& opts)
      : opts_(opts), reader_(in), writer_(out, opts.max_size) {}

  Result<SubmitResult> run();

 private:
  // How reading the header block stopped.
  enum class After { blank, body_line, end_of_input };

  Result<After> read_headers();
  Status add_header_line(std::string& line, size_t& used);
  Status fix_headers();
  void force_from();
  void write_headers();
  Status copy_body(After after);
  Status drain_then(Status why);

  std::string host() const { return opts_.hostname.empty() ? "localhost" : opts_.hostname; }
  std::string date() const;
  std::string generated_from() const;

  const SubmitOptions& opts_;
  LineReader reader_;
  MessageWriter writer_;
  HeaderBlock fields_;
  std::string line_;  // the current line or piece
  LineReader::End end_ = LineReader::End::eof;
  SubmitResult res_;
};

Status Builder::drain_then(Status why) {
  if (auto r = reader_.drain(); !r) {
    return r;
  }
  return why;
}

// Reads lines up to the blank line (consumed), the first line that is not part of a header
// block (left in line_), a lone dot, or the end of input.
Result<Builder::After> Builder::read_headers() {
  size_t used = 0;
  bool first = true;
  while (true) {
    size_t budget = kMaxHeaderBytes - std::min(used, kMaxHeaderBytes);
    auto got = reader_.next(line_, end_, budget + 1);
    if (!got) {
      return std::move(got).error();
    }
    if (!*got) {
      return After::end_of_input;
    }
    if (!opts_.ignore_dots && end_ != LineReader::End::more && is_dot_line(line_)) {
      return After::end_of_input;
    }
    bool mbox = first && (line_.starts_with("From ") || line_.starts_with(">From "));
    first = false;
    if (mbox) {
      while (end_ == LineReader::End::more) {  // drop the rest of an over-long "From " line
        if (auto r = reader_.next(line_, end_, budget + 1); !r) {
          return std::move(r).error();
        }
      }
      continue;
    }
    if (line_.empty()) {
      return After::blank;
    }
    bool continuation = (line_[0] == ' ' || line_[0] == '\t') && !fields_.empty();
    if (!continuation && !is_header_start(line_)) {
      return After::body_line;
    }
    if (end_ == LineReader::End::more) {
      return make_error(Errc::parse, "header block longer than %zu octets", kMaxHeaderBytes);
    }
    if (auto r = add_header_line(line_, used); !r) {
      return std::move(r).error();
    }
  }
}

Status Builder::add_header_line(std::string& line, size_t& used) {
  used += line.size() + 2;
  if (used > kMaxHeaderBytes) {
    return make_error(Errc::parse, "header block longer than %zu octets", kMaxHeaderBytes);
  }
  cr_to_space(line);
  if (line[0] == ' ' || line[0] == '\t') {
    fields_.back().text += "\r\n";
    fields_.back().text += line;
  } else {
    fields_.push_back({line, header_name_len(line)});
  }
  return {};
}

Status Builder::fix_headers() {
  res_.had_from = has_field(fields_, "From");
  if (opts_.extract_recipients) {
    bool resent = std::any_of(fields_.begin(), fields_.end(), [](const HeaderField& f) {
      return istarts_with(f.name(), "Resent-");
    });
    for (const auto& f : fields_) {
      if (!is_recipient_field(f.name(), resent)) {
        continue;
      }
      auto list = parse_address_list(f.value());
      if (!list) {
        return make_error(Errc::parse, "parse %.*s: header: %s", static_cast<int>(f.name_len),
                          f.text.data(), list.error().what.c_str());
      }
      res_.header_rcpts.insert(res_.header_rcpts.end(), list->begin(), list->end());
      if (res_.header_rcpts.size() > kMaxHeaderRcpts) {
        return make_error(Errc::parse, "more than %zu recipients in the headers", kMaxHeaderRcpts);
      }
    }
  }
  remove_fields(fields_, {"Bcc", "Resent-Bcc", "Return-Path", "Content-Length"});
  if (opts_.rewrite_headers && !opts_.domain.empty()) {
    for (auto& f : fields_) {
      if (is_address_field(f.name())) {
        std::string value = qualify_address_header(f.value(), opts_.domain);
        f.text.resize(f.name_len + 1);
        f.text += value;
      }
    }
  }
  if (!opts_.force_from.empty()) {
    force_from();
  }
  return {};
}

// Gmail and SES refuse a From: the account does not own: the first From: is replaced in place,
// the others dropped, and the author kept reachable through Reply-To:.
void Builder::force_from() {
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [](const HeaderField& f) { return iequals(f.name(), "From"); });
  if (first == fields_.end()) {
    return;  // write_headers() generates it
  }
  auto addrs = parse_address_list(first->value());
  if (addrs && addrs->size() == 1 && iequals((*addrs)[0], opts_.force_from)) {
    return;  // already the account's address: keep the author's display name
  }
  std::string reply_to = "Reply-To:" + std::string(first->value());
  bool add_reply_to = !has_field(fields_, "Reply-To");
  size_t at = static_cast<size_t>(first - fields_.begin());
  remove_fields(fields_, {"From"});
  std::string from = "From: " + render_mailbox(opts_.full_name, opts_.force_from);
  fields_.insert(fields_.begin() + static_cast<std::ptrdiff_t>(at), HeaderField{from, 4});
  if (add_reply_to) {
    fields_.insert(fields_.begin() + static_cast<std::ptrdiff_t>(at + 1),
                   HeaderField{std::move(reply_to), 8});
  }
}

std::string Builder::date() const {
  int32_t offset = opts_.utc_offset ? *opts_.utc_offset : local_utc_offset(opts_.now);
  return format_rfc5322_date(opts_.now, offset);
}

std::string Builder::generated_from() const {
  if (!opts_.force_from.empty()) {
    return render_mailbox(opts_.full_name, opts_.force_from);
  }
  if (opts_.envelope_sender.empty()) {
    return render_mailbox(opts_.full_name, "MAILER-DAEMON@" + host());
  }
  return render_mailbox(opts_.full_name, opts_.envelope_sender);
}

void Builder::write_headers() {
  std::string now = date();
  // RFC 5321 §4.4 time-stamp line in Postfix's local-submission form: a by-domain, the uid in
  // a comment, the queue id, the date.
  std::string received =
      "Received: by " + host() + " (relaymail, from userid " + std::to_string(opts_.uid) + ")";
  if (opts_.unique.empty()) {
    writer_.header_line(received + ";");
    writer_.header_line("\t" + now);
  } else {
    writer_.header_line(received);
    writer_.header_line("\tid " + opts_.unique + "; " + now);
  }
  for (const auto& f : fields_) {
    std::string_view text = f.text;
    for (size_t nl; (nl = text.find("\r\n")) != std::string_view::npos;) {
      writer_.header_line(text.substr(0, nl));
      text.remove_prefix(nl + 2);
    }
    writer_.header_line(text);
  }
  if (!has_field(fields_, "Date")) {
    writer_.header_line("Date: " + now);
  }
  if (!has_field(fields_, "Message-ID")) {
    std::string unique = opts_.unique.empty()
                             ? std::to_string(opts_.now) + "." + std::to_string(opts_.uid)
                             : opts_.unique;
    writer_.header_line("Message-ID: <" + unique + "@" + host() + ">");
  }
  if (!res_.had_from) {
    writer_.header_line("From: " + generated_from());
  }
  if (opts_.add_to_header && !has_field(fields_, "To") && !has_field(fields_, "Cc")) {
    writer_.header_line("To: undisclosed-recipients:;");  // behaviour 52, when configured
  }
  writer_.header_line("");
}

// Copies the body, starting with line_ when the header block ended on a body line.
Status Builder::copy_body(After after) {
  bool have = after == After::body_line;
  bool line_start = true;
  while (true) {
    if (!have) {
      auto got = reader_.next(line_, end_, kBodyPiece);
      if (!got) {
        return std::move(got).error();
      }
      if (!*got) {
        return {};
      }
      if (line_start && !opts_.ignore_dots && end_ != LineReader::End::more && is_dot_line(line_)) {
        return reader_.drain();
      }
    }
    have = false;
    cr_to_space(line_);
    writer_.body_text(line_);
    line_start = end_ != LineReader::End::more;
    if (line_start) {
      writer_.end_body_line();
    }
    if (writer_.failed()) {
      return drain_then(writer_.finish());
    }
  }
}

Result<SubmitResult> Builder::run() {
  auto after = read_headers();
  if (!after) {
    if (after.error().code == Errc::io) {
      return std::move(after).error();
    }
    return std::move(drain_then(std::move(after).error())).error();
  }
  if (auto r = fix_headers(); !r) {
    return std::move(drain_then(std::move(r))).error();
  }
  write_headers();
  if (*after != After::end_of_input) {
    if (auto r = copy_body(*after); !r) {
      return std::move(r).error();
    }
  } else if (auto r = reader_.drain(); !r) {
    return std::move(r).error();
  }
  if (auto r = writer_.finish(); !r) {
    return std::move(r).error();
  }
  res_.size = writer_.size();
  res_.eightbit = writer_.eightbit();
  res_.too_big = writer_.too_big();
  res_.nul_removed = reader_.nul_removed();
  return std::move(res_);
}

}  // namespace

Result<SubmitResult> build_message(ByteSource& in, ByteSink& out, const SubmitOptions& opts) {
  Builder b(in, out, opts);
  return b.run();
}

}  // namespace rm
