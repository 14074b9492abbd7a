#include "transformers/templates/pyformat.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "transformers/templates/error.h"
#include "transformers/templates/renderer.h"
#include "transformers/templates/utf8.h"

namespace transformers::templates {

namespace {

struct Spec {
  char fill = ' ';
  char align = 0;  // '<', '>', '^', '=' or 0 (type default)
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int width = -1;
  bool grouping = false;
  int precision = -1;
  char type = 0;
};

std::string pad(std::string body, const Spec& sp, bool numeric) {
  int len = static_cast<int>(utf8::length(body));
  if (sp.width <= len) return body;
  size_t n = static_cast<size_t>(sp.width - len);
  char align = sp.align ? sp.align : (numeric ? '>' : '<');
  char fill = sp.fill;
  if (sp.zero && !sp.align && numeric) {
    align = '=';
    fill = '0';
  }
  if (align == '<') return body + std::string(n, fill);
  if (align == '>') return std::string(n, fill) + body;
  if (align == '^') return std::string(n / 2, fill) + body + std::string(n - n / 2, fill);
  // '=': padding after the sign
  size_t s = (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
  return body.substr(0, s) + std::string(n, fill) + body.substr(s);
}

std::string group_thousands(const std::string& digits) {
  std::string out;
  int count = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    out.insert(out.begin(), digits[i]);
    if (++count % 3 == 0 && i > 0) out.insert(out.begin(), ',');
  }
  return out;
}

std::string format_number(const Value& v, const Spec& sp) {
  char type = sp.type;
  std::string body;
  bool negative = false;
  if (type == 'd' || type == 'i' || type == 'u' || type == 'x' || type == 'X' || type == 'o' ||
      type == 'b' || type == 'c' || (type == 0 && !v.is_float())) {
    if (!v.is_number())
      fail(ErrorKind::Type, std::string("%") + (type ? type : 'd') +
                                " format: a real number is required, not " + v.type_name());
    int64_t i = v.is_float() ? static_cast<int64_t>(v.as_float()) : v.to_int();
    if (type == 'c') {
      std::string s;
      utf8::append(s, static_cast<char32_t>(i));
      return s;
    }
    negative = i < 0;
    uint64_t u = negative ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    int base = (type == 'x' || type == 'X') ? 16 : type == 'o' ? 8 : type == 'b' ? 2 : 10;
    const char* digits = type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
      body.insert(body.begin(), digits[u % base]);
      u /= base;
    } while (u);
    if (sp.grouping && base == 10) body = group_thousands(body);
    if (sp.alt && base != 10) body = std::string("0") + (type == 'o' ? 'o' : type) + body;
  } else {
    if (!v.is_number())
      fail(ErrorKind::Type, std::string("%") + type + " format: a real number is required, not " +
                                v.type_name());
    double d = v.to_double();
    negative = std::signbit(d) && !std::isnan(d);
    double a = std::fabs(d);
    if (type == 0 && sp.precision < 0) {
      body = format_float(a);
    } else {
      char t = type == 0 ? 'g' : type;
      if (t == '%') a *= 100;
      int prec = sp.precision < 0 ? 6 : sp.precision;
      char f[16];
      std::snprintf(f, sizeof(f), "%%%s.%d%c", sp.alt ? "#" : "", prec, t == '%' ? 'f' : t);
      char buf[512];
      std::snprintf(buf, sizeof(buf), f, a);
      body = buf;
      if (sp.grouping) {
        size_t dot = body.find_first_not_of("0123456789");
        body = group_thousands(body.substr(0, dot)) + (dot == std::string::npos ? "" : body.substr(dot));
      }
      if (t == '%') body += "%";
    }
  }
  std::string sign = negative ? "-" : (sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "");
  return pad(sign + body, sp, true);
}

std::string format_with_spec(const Value& v, const Spec& sp) {
  char t = sp.type;
  if (t == 's' || (t == 0 && !v.is_number())) {
    std::string s = v.str();
    if (sp.precision >= 0) {
      auto cps = utf8::decode(s);
      if (cps.size() > static_cast<size_t>(sp.precision)) {
        cps.resize(static_cast<size_t>(sp.precision));
        s = utf8::encode(cps);
      }
    }
    return pad(s, sp, false);
  }
  if (t == 'r') return pad(v.repr(), sp, false);
  if (v.is_bool() && t == 0) return pad(v.str(), sp, false);
  return format_number(v, sp);
}

}  // namespace

std::string percent_format(Renderer& r, const std::string& fmt, const Value& args) {
  std::vector<Value> items;
  const DictData* mapping = nullptr;
  if (args.is_tuple()) {
    items = args.as_list().items;
  } else {
    if (args.is_dict()) mapping = &args.as_dict();
    items.push_back(args);
  }
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i]);
      continue;
    }
    if (++i >= fmt.size()) fail(ErrorKind::Type, "incomplete format");
    if (fmt[i] == '%') {
      out.push_back('%');
      continue;
    }
    const Value* arg = nullptr;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos) fail(ErrorKind::Type, "incomplete format key");
      if (!mapping) fail(ErrorKind::Type, "format requires a mapping");
      std::string key = fmt.substr(i + 1, close - i - 1);
      arg = mapping->find(std::string_view(key));
      if (!arg) fail(ErrorKind::Type, "KeyError: " + repr_string(key));
      i = close + 1;
    }
    Spec sp;
    for (; i < fmt.size() && std::string_view("-+ #0").find(fmt[i]) != std::string_view::npos; ++i) {
      if (fmt[i] == '-') sp.align = '<';
      if (fmt[i] == '+') sp.sign = '+';
      if (fmt[i] == ' ' && sp.sign != '+') sp.sign = ' ';
      if (fmt[i] == '#') sp.alt = true;
      if (fmt[i] == '0') sp.zero = true;
    }
    if (sp.align == '<') sp.zero = false;
    while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i])))
      sp.width = std::max(sp.width, 0) * 10 + (fmt[i++] - '0');
    if (i < fmt.size() && fmt[i] == '.') {
      sp.precision = 0;
      while (++i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i])))
        sp.precision = sp.precision * 10 + (fmt[i] - '0');
    }
    if (i >= fmt.size()) fail(ErrorKind::Type, "incomplete format");
    char t = fmt[i];
    if (std::string_view("srdiufFeEgGxXoc").find(t) == std::string_view::npos)
      fail(ErrorKind::Type, std::string("unsupported format character '") + t + "'");
    if (!arg) {
      if (next >= items.size()) fail(ErrorKind::Type, "not enough arguments for format string");
      arg = &items[next++];
    }
    sp.type = (t == 'i' || t == 'u') ? 'd' : t;
    if (t == 's' || t == 'r') {
      if (sp.align == 0 && sp.width > 0) sp.align = '>';
    }
    std::string piece = format_with_spec(*arg, sp);
    r.check_size(out.size() + piece.size());
    out += piece;
  }
  if (!mapping && next < items.size())
    fail(ErrorKind::Type, "not all arguments converted during string formatting");
  return out;
}

std::string str_format(Renderer& r, const std::string& fmt, const Args& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      fail(ErrorKind::Type, "single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) fail(ErrorKind::Type, "single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string spec_text;
    char conv = 0;
    if (size_t colon = field.find(':'); colon != std::string::npos) {
      spec_text = field.substr(colon + 1);
      field.resize(colon);
    }
    if (size_t bang = field.find('!'); bang != std::string::npos) {
      conv = bang + 1 < field.size() ? field[bang + 1] : 0;
      field.resize(bang);
    }
    size_t end = field.find_first_of(".[");
    std::string head = field.substr(0, end);
    Value v;
    if (head.empty() || std::all_of(head.begin(), head.end(), ::isdigit)) {
      size_t idx = head.empty() ? auto_index++ : std::stoul(head);
      if (idx >= args.pos.size())
        fail(ErrorKind::Type, "Replacement index " + std::to_string(idx) + " out of range");
      v = args.pos[idx];
    } else {
      bool found = false;
      for (const auto& [k, kv] : args.kw)
        if (k == head) {
          v = kv;
          found = true;
        }
      if (!found) fail(ErrorKind::Type, "KeyError: " + repr_string(head));
    }
    while (end != std::string::npos && end < field.size()) {
      if (field[end] == '.') {
        size_t nx = field.find_first_of(".[", end + 1);
        v = r.getattr(v, field.substr(end + 1, nx == std::string::npos ? std::string::npos : nx - end - 1));
        end = nx;
      } else {
        size_t rb = field.find(']', end);
        if (rb == std::string::npos) fail(ErrorKind::Type, "Missing ']' in format string");
        std::string key = field.substr(end + 1, rb - end - 1);
        bool numeric = !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit);
        v = r.getitem(v, numeric ? Value(std::stoll(key)) : Value(key));
        end = rb + 1 < field.size() ? rb + 1 : std::string::npos;
      }
    }
    if (conv == 'r') v = Value(v.repr());
    if (conv == 's') v = Value(v.str());
    Spec sp;
    size_t p = 0;
    const std::string& st = spec_text;
    auto is_align = [](char ch) { return ch == '<' || ch == '>' || ch == '^' || ch == '='; };
    if (st.size() >= 2 && is_align(st[1])) {
      sp.fill = st[0];
      sp.align = st[1];
      p = 2;
    } else if (!st.empty() && is_align(st[0])) {
      sp.align = st[0];
      p = 1;
    }
    if (p < st.size() && (st[p] == '+' || st[p] == '-' || st[p] == ' ')) sp.sign = st[p++];
    if (p < st.size() && st[p] == '#') {
      sp.alt = true;
      ++p;
    }
    if (p < st.size() && st[p] == '0') {
      sp.zero = true;
      ++p;
    }
    while (p < st.size() && std::isdigit(static_cast<unsigned char>(st[p])))
      sp.width = std::max(sp.width, 0) * 10 + (st[p++] - '0');
    if (p < st.size() && st[p] == ',') {
      sp.grouping = true;
      ++p;
    }
    if (p < st.size() && st[p] == '.') {
      sp.precision = 0;
      while (++p < st.size() && std::isdigit(static_cast<unsigned char>(st[p])))
        sp.precision = sp.precision * 10 + (st[p] - '0');
    }
    if (p < st.size()) sp.type = st[p++];
    if (p != st.size()) fail(ErrorKind::Type, "invalid format specifier '" + st + "'");
    std::string piece = format_with_spec(v, sp);
    r.check_size(out.size() + piece.size());
    out += piece;
  }
  return out;
}

}  // namespace transformers::templates
