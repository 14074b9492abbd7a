// Python methods of str, dict and list that chat templates call (`content.strip()`,
// `message.get('x')`, `tools.append(t)`), with Python's semantics.
#include <algorithm>

#include "transformers/templates/builtins.h"
#include "transformers/templates/error.h"
#include "transformers/templates/pyformat.h"
#include "transformers/templates/renderer.h"
#include "transformers/templates/utf8.h"

namespace transformers::templates {

namespace {

constexpr std::string_view kStrMethods[] = {
    "strip",   "lstrip",   "rstrip",     "split",   "rsplit",  "startswith", "endswith",
    "upper",   "lower",    "title",      "capitalize", "replace", "find",    "rfind",
    "count",   "join",     "format",     "splitlines", "isdigit", "isalpha", "isalnum",
    "isspace", "islower",  "isupper",    "index",   "center",  "ljust",      "rjust",
    "zfill",   "swapcase", "removeprefix", "removesuffix", "partition", "rpartition"};
constexpr std::string_view kDictMethods[] = {"items", "keys", "values", "get", "copy"};
constexpr std::string_view kListMethods[] = {"append", "pop", "index", "count", "copy",
                                             "extend", "insert", "reverse"};

template <size_t N>
bool in(const std::string_view (&table)[N], std::string_view name) {
  return std::find(std::begin(table), std::end(table), name) != std::end(table);
}

const std::string& str_arg(const char* method, const Value& v) {
  if (!v.is_string())
    fail(ErrorKind::Type, std::string(method) + "() argument must be str, not " + v.type_name());
  return v.as_string();
}

// Python's str.split / rsplit.
std::vector<Value> split(const std::string& s, const Value& sep, int64_t maxsplit, bool from_right) {
  std::vector<std::string> parts;
  if (sep.is_none() || sep.is_undefined()) {
    // Whitespace runs separate; leading/trailing whitespace yields no empty parts.
    auto cps = utf8::decode(s);
    std::vector<std::pair<size_t, size_t>> words;
    size_t i = 0;
    while (i < cps.size()) {
      while (i < cps.size() && utf8::is_space(cps[i])) ++i;
      if (i >= cps.size()) break;
      size_t j = i;
      while (j < cps.size() && !utf8::is_space(cps[j])) ++j;
      words.emplace_back(i, j);
      i = j;
    }
    auto piece = [&](size_t a, size_t b) {
      return utf8::encode(std::vector<char32_t>(cps.begin() + a, cps.begin() + b));
    };
    if (maxsplit < 0 || static_cast<size_t>(maxsplit) >= words.size()) {
      for (auto [a, b] : words) parts.push_back(piece(a, b));
    } else if (!from_right) {
      for (int64_t k = 0; k < maxsplit; ++k) parts.push_back(piece(words[k].first, words[k].second));
      size_t rest = words[maxsplit].first;
      size_t end = cps.size();
      std::string tail = piece(rest, end);
      parts.push_back(utf8::strip(tail, nullptr, false, true));
    } else {
      size_t n = words.size();
      std::string head = piece(0, words[n - maxsplit - 1].second);
      parts.push_back(utf8::strip(head, nullptr, true, false));
      for (size_t k = n - maxsplit; k < n; ++k) parts.push_back(piece(words[k].first, words[k].second));
    }
  } else {
    const std::string& d = str_arg("split", sep);
    if (d.empty()) fail(ErrorKind::Type, "empty separator");
    if (!from_right) {
      size_t start = 0;
      int64_t n = 0;
      while (maxsplit < 0 || n < maxsplit) {
        size_t p = s.find(d, start);
        if (p == std::string::npos) break;
        parts.push_back(s.substr(start, p - start));
        start = p + d.size();
        ++n;
      }
      parts.push_back(s.substr(start));
    } else {
      size_t end = s.size();
      int64_t n = 0;
      std::vector<std::string> rev;
      while (maxsplit < 0 || n < maxsplit) {
        if (end < d.size()) break;
        size_t p = s.rfind(d, end - d.size());
        if (p == std::string::npos) break;
        rev.push_back(s.substr(p + d.size(), end - p - d.size()));
        end = p;
        ++n;
      }
      rev.push_back(s.substr(0, end));
      parts.assign(rev.rbegin(), rev.rend());
    }
  }
  std::vector<Value> out;
  out.reserve(parts.size());
  for (auto& p : parts) out.emplace_back(std::move(p));
  return out;
}

// Python's str.title(): a letter after a non-letter starts a word.
std::string py_title(const std::string& s) {
  std::string out;
  bool prev_cased = false;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8::next(s, i);
    bool cased = utf8::is_alpha(c);
    utf8::append(out, cased ? (prev_cased ? utf8::to_lower(c) : utf8::to_upper(c)) : c);
    prev_cased = cased;
  }
  return out;
}

std::string py_capitalize(const std::string& s) {
  std::string out;
  bool first = true;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8::next(s, i);
    utf8::append(out, first ? utf8::to_upper(c) : utf8::to_lower(c));
    first = false;
  }
  return out;
}

int64_t byte_to_cp_index(const std::string& s, size_t byte) {
  return static_cast<int64_t>(utf8::length(std::string_view(s).substr(0, byte)));
}

bool all_cps(const std::string& s, bool (*pred)(char32_t)) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();)
    if (!pred(utf8::next(s, i))) return false;
  return true;
}

std::string justify(const std::string& s, int64_t width, const std::string& fill, char how) {
  int64_t len = static_cast<int64_t>(utf8::length(s));
  if (width <= len) return s;
  int64_t pad = width - len;
  int64_t left = how == 'l' ? 0 : how == 'r' ? pad : pad / 2 + (pad & width & 1);
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (int64_t i = 0; i < pad - left; ++i) out += fill;
  return out;
}

Value str_method(Renderer& r, const std::string& s, const std::string& name, Args& args) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    ArgReader a(name.c_str(), args, {"chars"});
    Value chars = a.get(0, Value::none());
    const std::string* set = chars.is_none() ? nullptr : &str_arg(name.c_str(), chars);
    return Value(utf8::strip(s, set, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    ArgReader a(name.c_str(), args, {"sep", "maxsplit"});
    return Value::list(split(s, a.get(0, Value::none()), a.get(1, Value(-1)).to_int(), name == "rsplit"));
  }
  if (name == "startswith" || name == "endswith") {
    ArgReader a(name.c_str(), args, {"prefix", "start", "end"});
    if (!a.has(0)) fail(ErrorKind::Type, name + "() takes at least 1 argument (0 given)");
    std::string sub = s;
    if (a.has(1) || a.has(2)) {
      auto cps = utf8::decode(s);
      int64_t n = static_cast<int64_t>(cps.size());
      auto norm = [n](const Value& v, int64_t d) {
        if (v.is_none()) return d;
        int64_t i = v.to_int();
        if (i < 0) i += n;
        return std::clamp<int64_t>(i, 0, n);
      };
      int64_t b = norm(a.get(1, Value::none()), 0), e = norm(a.get(2, Value::none()), n);
      sub = b < e ? utf8::encode(std::vector<char32_t>(cps.begin() + b, cps.begin() + e)) : "";
    }
    std::vector<Value> options = a.get(0)->is_tuple() ? a.get(0)->as_list().items
                                                      : std::vector<Value>{*a.get(0)};
    for (const Value& o : options) {
      const std::string& p = str_arg(name.c_str(), o);
      if (p.size() > sub.size()) continue;
      if (name == "startswith" ? sub.compare(0, p.size(), p) == 0
                               : sub.compare(sub.size() - p.size(), p.size(), p) == 0)
        return Value(true);
    }
    return Value(false);
  }
  if (name == "upper") return Value(utf8::upper(s));
  if (name == "lower") return Value(utf8::lower(s));
  if (name == "title") return Value(py_title(s));
  if (name == "capitalize") return Value(py_capitalize(s));
  if (name == "swapcase") {
    std::string out;
    for (size_t i = 0; i < s.size();) {
      char32_t c = utf8::next(s, i);
      utf8::append(out, utf8::is_upper(c) ? utf8::to_lower(c) : utf8::to_upper(c));
    }
    return Value(out);
  }
  if (name == "replace") {
    ArgReader a("replace", args, {"old", "new", "count"});
    if (!a.has(1)) fail(ErrorKind::Type, "replace() takes at least 2 arguments");
    const std::string& from = str_arg("replace", *a.get(0));
    const std::string& to = str_arg("replace", *a.get(1));
    int64_t count = a.get(2, Value(-1)).to_int();
    std::string out;
    if (from.empty()) {
      // Python inserts `to` between characters (and at both ends).
      int64_t n = 0;
      for (size_t i = 0; i <= s.size();) {
        if (count < 0 || n < count) {
          out += to;
          ++n;
        }
        if (i == s.size()) break;
        size_t st = i;
        utf8::next(s, i);
        out.append(s, st, i - st);
        r.check_size(out.size());
      }
      return Value(out);
    }
    size_t start = 0;
    int64_t n = 0;
    while (count < 0 || n < count) {
      size_t p = s.find(from, start);
      if (p == std::string::npos) break;
      out.append(s, start, p - start);
      out += to;
      r.check_size(out.size());
      start = p + from.size();
      ++n;
    }
    out.append(s, start);
    return Value(out);
  }
  if (name == "find" || name == "rfind" || name == "index") {
    ArgReader a(name.c_str(), args, {"sub", "start", "end"});
    if (!a.has(0)) fail(ErrorKind::Type, name + "() takes at least 1 argument (0 given)");
    const std::string& sub = str_arg(name.c_str(), *a.get(0));
    size_t p = name == "rfind" ? s.rfind(sub) : s.find(sub);
    if (a.has(1)) {
      // With a start offset: search from that code point.
      auto cps = utf8::decode(s);
      int64_t st = a.get(1)->to_int();
      if (st < 0) st = std::max<int64_t>(0, st + static_cast<int64_t>(cps.size()));
      std::string head = utf8::encode(std::vector<char32_t>(
          cps.begin(), cps.begin() + std::min<int64_t>(st, cps.size())));
      p = name == "rfind" ? s.rfind(sub) : s.find(sub, head.size());
      if (p != std::string::npos && p < head.size()) p = std::string::npos;
    }
    if (p == std::string::npos) {
      if (name == "index") fail(ErrorKind::Type, "substring not found");
      return Value(-1);
    }
    return Value(byte_to_cp_index(s, p));
  }
  if (name == "count") {
    ArgReader a("count", args, {"sub"});
    if (!a.has(0)) fail(ErrorKind::Type, "count() takes at least 1 argument (0 given)");
    const std::string& sub = str_arg("count", *a.get(0));
    if (sub.empty()) return Value(static_cast<int64_t>(utf8::length(s)) + 1);
    int64_t n = 0;
    for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
    return Value(n);
  }
  if (name == "join") {
    ArgReader a("join", args, {"iterable"});
    if (!a.has(0)) fail(ErrorKind::Type, "join() takes exactly one argument (0 given)");
    std::string out;
    bool first = true;
    for (const Value& v : iterate(*a.get(0))) {
      if (!v.is_string())
        fail(ErrorKind::Type, "sequence item: expected str instance, " + v.type_name() + " found");
      if (!first) out += s;
      first = false;
      out += v.as_string();
      r.check_size(out.size());
    }
    return Value(out);
  }
  if (name == "format") return Value(str_format(r, s, args));
  if (name == "splitlines") {
    ArgReader a("splitlines", args, {"keepends"});
    std::vector<Value> out;
    for (auto& l : utf8::splitlines(s, a.get(0, Value(false)).truthy())) out.emplace_back(std::move(l));
    return Value::list(std::move(out));
  }
  if (name == "isdigit") return Value(all_cps(s, utf8::is_digit));
  if (name == "isalpha") return Value(all_cps(s, utf8::is_alpha));
  if (name == "isalnum")
    return Value(all_cps(s, [](char32_t c) { return utf8::is_alpha(c) || utf8::is_digit(c); }));
  if (name == "isspace") return Value(all_cps(s, utf8::is_space));
  if (name == "islower" || name == "isupper") {
    bool any = false;
    for (size_t i = 0; i < s.size();) {
      char32_t c = utf8::next(s, i);
      if (utf8::is_upper(c)) {
        if (name == "islower") return Value(false);
        any = true;
      } else if (utf8::is_lower(c)) {
        if (name == "isupper") return Value(false);
        any = true;
      }
    }
    return Value(any);
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    ArgReader a(name.c_str(), args, {"width", "fillchar"});
    if (!a.has(0)) fail(ErrorKind::Type, name + "() takes at least 1 argument (0 given)");
    int64_t w = a.get(0)->to_int();
    r.check_size(static_cast<size_t>(std::max<int64_t>(w, 0)));
    return Value(justify(s, w, a.get(1, Value(" ")).str(), name == "center" ? 'c' : name == "ljust" ? 'l' : 'r'));
  }
  if (name == "zfill") {
    ArgReader a("zfill", args, {"width"});
    int64_t w = a.get(0, Value(0)).to_int();
    int64_t len = static_cast<int64_t>(utf8::length(s));
    if (w <= len) return Value(s);
    r.check_size(static_cast<size_t>(w));
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return Value(s.substr(0, sign) + std::string(static_cast<size_t>(w - len), '0') + s.substr(sign));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    ArgReader a(name.c_str(), args, {"affix"});
    const std::string& x = str_arg(name.c_str(), a.get(0, Value("")));
    if (name == "removeprefix" && s.compare(0, x.size(), x) == 0) return Value(s.substr(x.size()));
    if (name == "removesuffix" && !x.empty() && s.size() >= x.size() &&
        s.compare(s.size() - x.size(), x.size(), x) == 0)
      return Value(s.substr(0, s.size() - x.size()));
    return Value(s);
  }
  if (name == "partition" || name == "rpartition") {
    ArgReader a(name.c_str(), args, {"sep"});
    const std::string& sep = str_arg(name.c_str(), a.get(0, Value("")));
    if (sep.empty()) fail(ErrorKind::Type, "empty separator");
    size_t p = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (p == std::string::npos)
      return name == "partition" ? Value::tuple({Value(s), Value(""), Value("")})
                                 : Value::tuple({Value(""), Value(""), Value(s)});
    return Value::tuple({Value(s.substr(0, p)), Value(sep), Value(s.substr(p + sep.size()))});
  }
  fail(ErrorKind::Type, "'str' object has no attribute '" + name + "'");
}

Value dict_method(const Value& d, const std::string& name, Args& args) {
  DictData& dict = d.as_dict();
  if (name == "items" || name == "keys" || name == "values") {
    ArgReader a(name.c_str(), args, {});
    std::vector<Value> out;
    out.reserve(dict.entries.size());
    for (const auto& [k, v] : dict.entries) {
      if (name == "items") {
        out.push_back(Value::tuple({k, v}));
      } else {
        out.push_back(name == "keys" ? k : v);
      }
    }
    return Value::list(std::move(out));
  }
  if (name == "get") {
    ArgReader a("get", args, {"key", "default"});
    if (!a.has(0)) fail(ErrorKind::Type, "get expected at least 1 argument, got 0");
    if (const Value* v = dict.find(*a.get(0))) return *v;
    return a.get(1, Value::none());
  }
  if (name == "copy") {
    Value c = Value::dict();
    c.as_dict().entries = dict.entries;
    return c;
  }
  fail(ErrorKind::Type, "'dict' object has no attribute '" + name + "'");
}

Value list_method(Renderer& r, const Value& l, const std::string& name, Args& args) {
  std::vector<Value>& items = l.as_list().items;
  bool tuple = l.is_tuple();
  if (name == "index" || name == "count") {
    ArgReader a(name.c_str(), args, {"value"});
    if (!a.has(0)) fail(ErrorKind::Type, name + "() takes exactly one argument (0 given)");
    int64_t n = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!equals(items[i], *a.get(0))) continue;
      if (name == "index") return Value(i);
      ++n;
    }
    if (name == "index") fail(ErrorKind::Type, a.get(0)->repr() + " is not in list");
    return Value(n);
  }
  if (tuple) fail(ErrorKind::Type, "'tuple' object has no attribute '" + name + "'");
  if (name == "append") {
    ArgReader a("append", args, {"object"});
    if (!a.has(0)) fail(ErrorKind::Type, "append() takes exactly one argument (0 given)");
    r.check_size((items.size() + 1) * sizeof(Value));
    items.push_back(*a.get(0));
    return Value::none();
  }
  if (name == "extend") {
    ArgReader a("extend", args, {"iterable"});
    std::vector<Value> more = iterate(a.get(0, Value::list()));
    r.check_size((items.size() + more.size()) * sizeof(Value));
    items.insert(items.end(), more.begin(), more.end());
    return Value::none();
  }
  if (name == "insert") {
    ArgReader a("insert", args, {"index", "object"});
    if (!a.has(1)) fail(ErrorKind::Type, "insert expected 2 arguments");
    int64_t n = static_cast<int64_t>(items.size());
    int64_t i = a.get(0)->to_int();
    if (i < 0) i += n;
    i = std::clamp<int64_t>(i, 0, n);
    r.check_size((items.size() + 1) * sizeof(Value));
    items.insert(items.begin() + i, *a.get(1));
    return Value::none();
  }
  if (name == "pop") {
    ArgReader a("pop", args, {"index"});
    if (items.empty()) fail(ErrorKind::Type, "pop from empty list");
    int64_t n = static_cast<int64_t>(items.size());
    int64_t i = a.get(0, Value(-1)).to_int();
    if (i < 0) i += n;
    if (i < 0 || i >= n) fail(ErrorKind::Type, "pop index out of range");
    Value v = items[static_cast<size_t>(i)];
    items.erase(items.begin() + i);
    return v;
  }
  if (name == "reverse") {
    std::reverse(items.begin(), items.end());
    return Value::none();
  }
  if (name == "copy") return Value::list(items);
  fail(ErrorKind::Type, "'list' object has no attribute '" + name + "'");
}

}  // namespace

bool has_method(const Value& receiver, std::string_view name) {
  if (receiver.is_string()) return in(kStrMethods, name);
  if (receiver.is_dict()) return in(kDictMethods, name);
  if (receiver.is_list()) {
    if (receiver.is_tuple()) return name == "index" || name == "count";
    return in(kListMethods, name);
  }
  return false;
}

Value call_method(Renderer& r, const Value& receiver, const std::string& name, Args& args) {
  if (receiver.is_string()) return str_method(r, receiver.as_string(), name, args);
  if (receiver.is_dict()) return dict_method(receiver, name, args);
  if (receiver.is_list()) return list_method(r, receiver, name, args);
  fail(ErrorKind::Type, "'" + receiver.type_name() + "' object has no attribute '" + name + "'");
}

}  // namespace transformers::templates
