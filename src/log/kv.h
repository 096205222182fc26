// log/kv.h — kv_quote(): makes a value safe for one-line key=value logs
// (`reason="connect: Connection refused"`). A value of printable ASCII without space, '"', '\'
// or '=' is returned unchanged; anything else (the empty string too) is wrapped in double quotes
// with '"' and '\' backslash-escaped, \n \r \t written as such and every other byte outside
// 0x20..0x7e as \xHH. The result never contains a control character or a raw non-ASCII byte, so
// no value can forge a second line or a second key. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rm {

std::string kv_quote(std::string_view value);

}  // namespace rm
