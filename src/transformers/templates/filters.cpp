// Jinja2's built-in filters, with Hugging Face's `tojson`. Filters that return generators in
// Jinja (map, select, reject, batch, slice ...) return lists here: templates consume them with
// `| list`, `| join` or a for loop, which read the same.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "transformers/templates/builtins.h"
#include "transformers/templates/error.h"
#include "transformers/templates/json_value.h"
#include "transformers/templates/pyformat.h"
#include "transformers/templates/renderer.h"
#include "transformers/templates/utf8.h"

namespace transformers::templates {

namespace {

// Jinja's filters call str() on their input (soft_str); an undefined value is "".
std::string soft_str(const Value& v) { return v.str(); }

// Jinja's make_attrgetter: "a.b.0" walks items/attributes; missing parts give `fallback`.
Value get_attribute_path(Renderer& r, const Value& item, const Value& attribute, const Value* fallback) {
  if (attribute.is_int()) return r.getitem(item, attribute);
  std::string path = attribute.str();
  Value cur = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    cur = numeric ? r.getitem(cur, Value(std::stoll(part))) : r.getitem(cur, Value(part));
    if (cur.is_undefined() && fallback) return *fallback;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

Value lower_if_string(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(utf8::lower(v.as_string()));
  return v;
}

// ---- filters ----

Value f_abs(Renderer&, const Value& v, Args& args) {
  ArgReader a("abs", args, {});
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) {
    int64_t i = v.to_int();
    if (i == INT64_MIN) fail(ErrorKind::Limit, "integer overflow");
    return Value(i < 0 ? -i : i);
  }
  fail(ErrorKind::Type, "bad operand type for abs(): '" + v.type_name() + "'");
}

Value f_attr(Renderer& r, const Value& v, Args& args) {
  ArgReader a("attr", args, {"name"});
  std::string name = a.get(0, Value("")).str();
  // attr() looks up attributes only, never items: on a dict only its methods are attributes.
  if (v.is_dict()) {
    if (has_method(v, name)) return r.getattr(v, name);
    return Value::undefined("'dict object' has no attribute '" + name + "'");
  }
  return r.getattr(v, name);
}

Value f_batch(Renderer&, const Value& v, Args& args) {
  ArgReader a("batch", args, {"linecount", "fill_with"});
  int64_t n = a.get(0, Value(1)).to_int();
  if (n <= 0) fail(ErrorKind::Type, "batch: linecount must be positive");
  Value fill = a.get(1, Value::none());
  std::vector<Value> out, tmp;
  for (Value& item : iterate(v)) {
    if (static_cast<int64_t>(tmp.size()) == n) {
      out.push_back(Value::list(std::move(tmp)));
      tmp.clear();
    }
    tmp.push_back(std::move(item));
  }
  if (!tmp.empty()) {
    if (!fill.is_none())
      while (static_cast<int64_t>(tmp.size()) < n) tmp.push_back(fill);
    out.push_back(Value::list(std::move(tmp)));
  }
  return Value::list(std::move(out));
}

std::string capitalize(const std::string& s) {
  std::string out;
  bool first = true;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8::next(s, i);
    utf8::append(out, first ? utf8::to_upper(c) : utf8::to_lower(c));
    first = false;
  }
  return out;
}

Value f_capitalize(Renderer&, const Value& v, Args& args) {
  ArgReader a("capitalize", args, {});
  return Value(capitalize(soft_str(v)));
}

Value f_center(Renderer& r, const Value& v, Args& args) {
  ArgReader a("center", args, {"width"});
  std::string s = soft_str(v);
  int64_t width = a.get(0, Value(80)).to_int();
  int64_t len = static_cast<int64_t>(utf8::length(s));
  if (width <= len) return Value(s);
  r.check_size(static_cast<size_t>(width));
  int64_t pad = width - len;
  int64_t left = pad / 2 + (pad & width & 1);  // CPython's str.center
  return Value(std::string(static_cast<size_t>(left), ' ') + s +
               std::string(static_cast<size_t>(pad - left), ' '));
}

Value f_default(Renderer&, const Value& v, Args& args) {
  ArgReader a("default", args, {"default_value", "boolean"});
  bool boolean = a.get(1, Value(false)).truthy();
  if (v.is_undefined() || (boolean && !v.truthy())) return a.get(0, Value(""));
  return v;
}

Value f_dictsort(Renderer&, const Value& v, Args& args) {
  ArgReader a("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (!v.is_dict()) fail(ErrorKind::Type, "dictsort: expected a mapping, got '" + v.type_name() + "'");
  bool cs = a.get(0, Value(false)).truthy();
  std::string by = a.get(1, Value("key")).str();
  bool reverse = a.get(2, Value(false)).truthy();
  if (by != "key" && by != "value") fail(ErrorKind::Type, "You can only sort by either \"key\" or \"value\"");
  int pos = by == "key" ? 0 : 1;
  std::vector<Value> items;
  for (const auto& [k, val] : v.as_dict().entries) items.push_back(Value::tuple({k, val}));
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    Value kx = lower_if_string(x.as_list().items[pos], cs);
    Value ky = lower_if_string(y.as_list().items[pos], cs);
    return reverse ? compare(ky, kx) < 0 : compare(kx, ky) < 0;
  });
  return Value::list(std::move(items));
}

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Value f_escape(Renderer&, const Value& v, Args& args) {
  ArgReader a("escape", args, {});
  if (v.is_none()) return Value("None");
  return Value(html_escape(soft_str(v)));
}

Value f_first(Renderer&, const Value& v, Args& args) {
  ArgReader a("first", args, {});
  if (v.is_list()) {
    if (v.as_list().items.empty()) return Value::undefined("No first item, sequence was empty.");
    return v.as_list().items.front();
  }
  std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

Value f_last(Renderer&, const Value& v, Args& args) {
  ArgReader a("last", args, {});
  std::vector<Value> items = v.is_list() ? v.as_list().items : iterate(v);
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

// Python float() of a string: optional whitespace, sign, digits, point, exponent, inf, nan.
bool parse_python_float(const std::string& text, double& out) {
  std::string s = utf8::strip(text, nullptr, true, true);
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  return s.find_first_of("xXpP") == std::string::npos;  // strtod's hex floats are not Python's
}

bool parse_python_int(const std::string& text, int base, int64_t& out) {
  std::string s = utf8::strip(text, nullptr, true, true);
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (base == 0 || base == 16 || base == 8 || base == 2) {
    if (s.size() > i + 1 && s[i] == '0' && std::strchr("xXoObB", s[i + 1])) {
      char k = static_cast<char>(std::tolower(s[i + 1]));
      int b = k == 'x' ? 16 : k == 'o' ? 8 : 2;
      if (base != 0 && base != b) return false;
      base = b;
      s.erase(i, 2);
    } else if (base == 0) {
      base = 10;
    }
  }
  if (i >= s.size()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoll(s.c_str(), &end, base);
  return end == s.c_str() + s.size() && errno != ERANGE;
}

Value f_float(Renderer&, const Value& v, Args& args) {
  ArgReader a("float", args, {"default"});
  Value dflt = a.get(0, Value(0.0));
  if (v.is_number()) return Value(v.to_double());
  if (v.is_string()) {
    double d;
    if (parse_python_float(v.as_string(), d)) return Value(d);
  }
  return dflt;
}

Value f_int(Renderer&, const Value& v, Args& args) {
  ArgReader a("int", args, {"default", "base"});
  Value dflt = a.get(0, Value(0));
  int base = static_cast<int>(a.get(1, Value(10)).to_int());
  if (v.is_int() || v.is_bool()) return Value(v.to_int());
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return dflt;
    return Value(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    int64_t i;
    if (parse_python_int(v.as_string(), base, i)) return Value(i);
    double d;
    if (parse_python_float(v.as_string(), d) && std::isfinite(d) && std::fabs(d) < 9.2e18)
      return Value(static_cast<int64_t>(d));
  }
  return dflt;
}

Value f_format(Renderer& r, const Value& v, Args& args) {
  if (!args.pos.empty() && !args.kw.empty())
    fail(ErrorKind::Type, "can't handle positional and keyword arguments at the same time");
  if (!args.kw.empty()) {
    Value d = Value::dict();
    for (auto& [k, val] : args.kw) d.as_dict().set(Value(k), val);
    return Value(percent_format(r, soft_str(v), d));
  }
  return Value(percent_format(r, soft_str(v), Value::tuple(args.pos)));
}

Value f_groupby(Renderer& r, const Value& v, Args& args) {
  ArgReader a("groupby", args, {"attribute", "default", "case_sensitive"});
  if (!a.has(0)) fail(ErrorKind::Type, "groupby() needs an attribute");
  Value attribute = *a.get(0);
  const Value* dflt = a.get(1);
  Value dflt_copy = dflt ? *dflt : Value();
  bool cs = a.get(2, Value(false)).truthy();
  std::vector<Value> items = iterate(v);
  std::vector<std::pair<Value, Value>> keyed;  // (sort key, item)
  for (Value& item : items)
    keyed.emplace_back(lower_if_string(get_attribute_path(r, item, attribute, dflt ? &dflt_copy : nullptr), cs),
                       item);
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& x, const auto& y) { return compare(x.first, y.first) < 0; });
  static const auto kFields = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"grouper", "list"});
  std::vector<Value> out;
  for (size_t i = 0; i < keyed.size();) {
    size_t j = i;
    std::vector<Value> group;
    while (j < keyed.size() && equals(keyed[j].first, keyed[i].first)) group.push_back(keyed[j++].second);
    // Case-insensitive grouping reports the first item's real key.
    Value grouper = cs ? keyed[i].first
                       : get_attribute_path(r, group.front(), attribute, dflt ? &dflt_copy : nullptr);
    Value t = Value::tuple({grouper, Value::list(std::move(group))});
    t.as_list().fields = kFields;
    out.push_back(std::move(t));
    i = j;
  }
  return Value::list(std::move(out));
}

Value f_indent(Renderer& r, const Value& v, Args& args) {
  ArgReader a("indent", args, {"width", "first", "blank"});
  Value w = a.get(0, Value(4));
  std::string indention =
      w.is_string() ? w.as_string()
                    : std::string(static_cast<size_t>(std::max<int64_t>(0, w.to_int())), ' ');
  bool first = a.get(1, Value(false)).truthy();
  bool blank = a.get(2, Value(false)).truthy();
  std::string s = soft_str(v) + "\n";  // Jinja appends a newline so splitlines keeps a last empty line
  std::vector<std::string> lines = utf8::splitlines(s, false);
  std::string out;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) out += "\n" + indention;
      out += lines[i];
    }
  } else {
    out = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      out += "\n";
      if (!lines[i].empty()) out += indention;
      out += lines[i];
      r.check_size(out.size());
    }
  }
  if (first) out = indention + out;
  return Value(out);
}

Value f_items(Renderer&, const Value& v, Args& args) {
  ArgReader a("items", args, {});
  if (v.is_undefined()) return Value::list();
  if (!v.is_dict()) fail(ErrorKind::Type, "Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.as_dict().entries) out.push_back(Value::tuple({k, val}));
  return Value::list(std::move(out));
}

Value f_join(Renderer& r, const Value& v, Args& args) {
  ArgReader a("join", args, {"d", "attribute"});
  std::string sep = a.get(0, Value("")).str();
  const Value* attribute = a.get(1);
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += attribute && !attribute->is_none() ? get_attribute_path(r, item, *attribute, nullptr).str()
                                              : item.str();
    r.check_size(out.size());
  }
  return Value(out);
}

Value f_length(Renderer&, const Value& v, Args& args) {
  ArgReader a("length", args, {});
  return Value(length(v));
}

Value f_list(Renderer&, const Value& v, Args& args) {
  ArgReader a("list", args, {});
  return Value::list(iterate(v));
}

Value f_lower(Renderer&, const Value& v, Args& args) {
  ArgReader a("lower", args, {});
  return Value(utf8::lower(soft_str(v)));
}

Value f_upper(Renderer&, const Value& v, Args& args) {
  ArgReader a("upper", args, {});
  return Value(utf8::upper(soft_str(v)));
}

Value f_map(Renderer& r, const Value& v, Args& args) {
  std::vector<Value> items = iterate(v);
  std::vector<Value> out;
  out.reserve(items.size());
  if (args.pos.empty()) {
    // map(attribute='x', default=...)
    const Value* attribute = nullptr;
    const Value* dflt = nullptr;
    for (const auto& [k, val] : args.kw) {
      if (k == "attribute") {
        attribute = &val;
      } else if (k == "default") {
        dflt = &val;
      } else {
        fail(ErrorKind::Type, "map() got an unexpected keyword argument '" + k + "'");
      }
    }
    if (!attribute) fail(ErrorKind::Type, "map requires a filter argument");
    for (const Value& item : items) out.push_back(get_attribute_path(r, item, *attribute, dflt));
    return Value::list(std::move(out));
  }
  std::string name = args.pos[0].str();
  Args rest;
  rest.pos.assign(args.pos.begin() + 1, args.pos.end());
  rest.kw = args.kw;
  for (const Value& item : items) {
    Args call_args = rest;
    out.push_back(apply_filter(r, name, item, call_args));
  }
  return Value::list(std::move(out));
}

Value min_max(Renderer& r, const Value& v, Args& args, bool want_max) {
  ArgReader a(want_max ? "max" : "min", args, {"case_sensitive", "attribute"});
  bool cs = a.get(0, Value(false)).truthy();
  const Value* attribute = a.get(1);
  std::vector<Value> items = iterate(v);
  if (items.empty())
    return Value::undefined(want_max ? "No largest item, sequence was empty."
                                     : "No smallest item, sequence was empty.");
  auto key = [&](const Value& item) {
    Value k = attribute && !attribute->is_none() ? get_attribute_path(r, item, *attribute, nullptr) : item;
    return lower_if_string(k, cs);
  };
  size_t best = 0;
  Value best_key = key(items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    Value k = key(items[i]);
    int c = compare(k, best_key);
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = k;
    }
  }
  return items[best];
}

Value f_max(Renderer& r, const Value& v, Args& args) { return min_max(r, v, args, true); }
Value f_min(Renderer& r, const Value& v, Args& args) { return min_max(r, v, args, false); }

Value f_replace(Renderer& r, const Value& v, Args& args) {
  ArgReader a("replace", args, {"old", "new", "count"});
  Args m;
  m.pos = {a.get(0, Value("")), a.get(1, Value(""))};
  if (a.has(2) && !a.get(2)->is_none()) m.pos.push_back(*a.get(2));
  return call_method(r, Value(soft_str(v)), "replace", m);
}

// select/reject/selectattr/rejectattr share one loop.
Value select_impl(Renderer& r, const Value& v, Args& args, bool with_attr, bool want) {
  std::vector<Value> items = iterate(v);
  size_t next = 0;
  Value attribute;
  if (with_attr) {
    if (args.pos.empty()) fail(ErrorKind::Type, "Missing parameter for attribute name");
    attribute = args.pos[next++];
  }
  std::string test;
  bool has_test = next < args.pos.size();
  if (has_test) test = args.pos[next++].str();
  Args test_args;
  test_args.pos.assign(args.pos.begin() + static_cast<long>(next), args.pos.end());
  test_args.kw = args.kw;
  std::vector<Value> out;
  for (const Value& item : items) {
    Value x = with_attr ? get_attribute_path(r, item, attribute, nullptr) : item;
    bool ok;
    if (has_test) {
      Args call_args = test_args;
      ok = apply_test(r, test, x, call_args);
    } else {
      ok = x.truthy();
    }
    if (ok == want) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value f_select(Renderer& r, const Value& v, Args& args) { return select_impl(r, v, args, false, true); }
Value f_reject(Renderer& r, const Value& v, Args& args) { return select_impl(r, v, args, false, false); }
Value f_selectattr(Renderer& r, const Value& v, Args& args) { return select_impl(r, v, args, true, true); }
Value f_rejectattr(Renderer& r, const Value& v, Args& args) { return select_impl(r, v, args, true, false); }

Value f_reverse(Renderer&, const Value& v, Args& args) {
  ArgReader a("reverse", args, {});
  if (v.is_string()) {
    auto cps = utf8::decode(v.as_string());
    std::reverse(cps.begin(), cps.end());
    return Value(utf8::encode(cps));
  }
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

// Python's round(x, n): correctly rounded, ties to even on the exact binary value; printf with
// a precision rounds the same way.
double py_round(double x, int64_t ndigits) {
  if (!std::isfinite(x)) return x;
  if (ndigits >= 0) {
    if (ndigits > 300) return x;
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(ndigits), x);
    return std::strtod(buf, nullptr);
  }
  double p = std::pow(10.0, static_cast<double>(-ndigits));
  return std::nearbyint(x / p) * p;
}

Value f_round(Renderer&, const Value& v, Args& args) {
  ArgReader a("round", args, {"precision", "method"});
  int64_t precision = a.get(0, Value(0)).to_int();
  std::string method = a.get(1, Value("common")).str();
  double x = v.to_double();
  if (method == "common") {
    // Python's round() keeps ints ints (for precision >= 0).
    if ((v.is_int() || v.is_bool()) && precision >= 0) return Value(v.to_int());
    return Value(py_round(x, precision));
  }
  if (method != "ceil" && method != "floor")
    fail(ErrorKind::Type, "method must be common, ceil or floor");
  double p = std::pow(10.0, static_cast<double>(precision));
  return Value((method == "ceil" ? std::ceil(x * p) : std::floor(x * p)) / p);
}

Value f_safe(Renderer&, const Value& v, Args& args) {
  ArgReader a("safe", args, {});
  return v.is_string() ? v : Value(soft_str(v));
}

Value f_slice(Renderer&, const Value& v, Args& args) {
  ArgReader a("slice", args, {"slices", "fill_with"});
  int64_t slices = a.get(0, Value(1)).to_int();
  if (slices <= 0) fail(ErrorKind::Type, "slice: slices must be positive");
  Value fill = a.get(1, Value::none());
  std::vector<Value> seq = iterate(v);
  int64_t n = static_cast<int64_t>(seq.size());
  int64_t per = n / slices, extra = n % slices, offset = 0;
  std::vector<Value> out;
  for (int64_t k = 0; k < slices; ++k) {
    int64_t start = offset + k * per;
    if (k < extra) ++offset;
    int64_t end = offset + (k + 1) * per;
    std::vector<Value> part(seq.begin() + start, seq.begin() + end);
    if (!fill.is_none() && k >= extra) part.push_back(fill);
    out.push_back(Value::list(std::move(part)));
  }
  return Value::list(std::move(out));
}

Value f_sort(Renderer& r, const Value& v, Args& args) {
  ArgReader a("sort", args, {"reverse", "case_sensitive", "attribute"});
  bool reverse = a.get(0, Value(false)).truthy();
  bool cs = a.get(1, Value(false)).truthy();
  const Value* attribute = a.get(2);
  std::vector<Value> items = iterate(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    Value k = attribute && !attribute->is_none() ? get_attribute_path(r, item, *attribute, nullptr) : item;
    keyed.emplace_back(lower_if_string(k, cs), std::move(item));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first) < 0 : compare(x.first, y.first) < 0;
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::list(std::move(out));
}

Value f_string(Renderer&, const Value& v, Args& args) {
  ArgReader a("string", args, {});
  return Value(soft_str(v));
}

std::string unescape_html(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string ent = s.substr(i + 1, semi - i - 1);
    char32_t c = 0;
    if (ent == "amp") c = '&';
    else if (ent == "lt") c = '<';
    else if (ent == "gt") c = '>';
    else if (ent == "quot") c = '"';
    else if (ent == "apos") c = '\'';
    else if (ent == "nbsp") c = 0xA0;
    else if (ent.size() > 1 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      c = static_cast<char32_t>(std::strtoul(ent.c_str() + (hex ? 2 : 1), nullptr, hex ? 16 : 10));
    }
    if (c == 0 || c > 0x10FFFF) {
      out.push_back('&');
      continue;
    }
    utf8::append(out, c);
    i = semi;
  }
  return out;
}

Value f_striptags(Renderer&, const Value& v, Args& args) {
  ArgReader a("striptags", args, {});
  std::string s = soft_str(v);
  std::string no_tags;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 4, "<!--") == 0) {
      size_t e = s.find("-->", i + 4);
      if (e != std::string::npos) {
        i = e + 3;
        continue;
      }
    }
    if (s[i] == '<') {
      size_t e = s.find('>', i + 1);
      if (e != std::string::npos) {
        i = e + 1;
        continue;
      }
    }
    no_tags.push_back(s[i++]);
  }
  // Collapse whitespace runs to one space, as " ".join(s.split()) does.
  Args none;
  std::string collapsed;
  auto cps = utf8::decode(no_tags);
  bool pending = false;
  for (char32_t c : cps) {
    if (utf8::is_space(c)) {
      pending = !collapsed.empty();
      continue;
    }
    if (pending) collapsed.push_back(' ');
    pending = false;
    utf8::append(collapsed, c);
  }
  return Value(unescape_html(collapsed));
}

Value f_sum(Renderer& r, const Value& v, Args& args) {
  ArgReader a("sum", args, {"attribute", "start"});
  const Value* attribute = a.get(0);
  Value total = a.get(1, Value(0));
  for (const Value& item : iterate(v)) {
    Value x = attribute && !attribute->is_none() ? get_attribute_path(r, item, *attribute, nullptr) : item;
    if (!total.is_number() || !x.is_number())
      fail(ErrorKind::Type, "unsupported operand type(s) for +: '" + total.type_name() + "' and '" +
                                x.type_name() + "'");
    if (total.is_float() || x.is_float()) {
      total = Value(total.to_double() + x.to_double());
    } else {
      int64_t s;
      if (__builtin_add_overflow(total.to_int(), x.to_int(), &s)) fail(ErrorKind::Limit, "integer overflow");
      total = Value(s);
    }
  }
  return total;
}

// Jinja's title: words start after whitespace or one of - ( { [ <.
Value f_title(Renderer&, const Value& v, Args& args) {
  ArgReader a("title", args, {});
  std::string s = soft_str(v);
  std::string out;
  bool word_start = true;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8::next(s, i);
    bool sep = utf8::is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    utf8::append(out, sep ? c : (word_start ? utf8::to_upper(c) : utf8::to_lower(c)));
    word_start = sep;
  }
  return Value(out);
}

Value f_tojson(Renderer& r, const Value& v, Args& args) {
  // Hugging Face's override: json.dumps(x, ensure_ascii=False, indent=indent,
  // separators=separators, sort_keys=False).
  ArgReader a("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonDumpOptions o;
  o.ensure_ascii = a.get(0, Value(false)).truthy();
  Value indent = a.get(1, Value::none());
  if (indent.is_string()) {
    o.indent = indent.as_string();
  } else if (!indent.is_none()) {
    o.indent = std::string(static_cast<size_t>(std::max<int64_t>(0, indent.to_int())), ' ');
  }
  Value seps = a.get(2, Value::none());
  if (!seps.is_none()) {
    std::vector<Value> p = iterate(seps);
    if (p.size() != 2) fail(ErrorKind::Type, "tojson: separators must be a pair of strings");
    o.item_separator = p[0].str();
    o.key_separator = p[1].str();
  }
  o.sort_keys = a.get(3, Value(false)).truthy();
  std::string out = dump_json(v, o);
  r.check_size(out.size());
  return Value(out);
}

Value f_trim(Renderer&, const Value& v, Args& args) {
  ArgReader a("trim", args, {"chars"});
  Value chars = a.get(0, Value::none());
  std::string cs = chars.is_none() ? "" : chars.str();
  return Value(utf8::strip(soft_str(v), chars.is_none() ? nullptr : &cs, true, true));
}

Value f_truncate(Renderer&, const Value& v, Args& args) {
  ArgReader a("truncate", args, {"length", "killwords", "end", "leeway"});
  std::string s = soft_str(v);
  int64_t len = a.get(0, Value(255)).to_int();
  bool killwords = a.get(1, Value(false)).truthy();
  std::string end = a.get(2, Value("...")).str();
  Value lw = a.get(3, Value::none());
  int64_t leeway = lw.is_none() ? 5 : lw.to_int();
  int64_t end_len = static_cast<int64_t>(utf8::length(end));
  if (len < end_len)
    fail(ErrorKind::Type,
         "expected length >= " + std::to_string(end_len) + ", got " + std::to_string(len));
  if (leeway < 0) fail(ErrorKind::Type, "expected leeway >= 0, got " + std::to_string(leeway));
  auto cps = utf8::decode(s);
  if (static_cast<int64_t>(cps.size()) <= len + leeway) return Value(s);
  std::string head = utf8::encode(std::vector<char32_t>(cps.begin(), cps.begin() + (len - end_len)));
  if (killwords) return Value(head + end);
  size_t sp = head.rfind(' ');
  if (sp != std::string::npos) head.resize(sp);
  return Value(head + end);
}

Value f_unique(Renderer& r, const Value& v, Args& args) {
  ArgReader a("unique", args, {"case_sensitive", "attribute"});
  bool cs = a.get(0, Value(false)).truthy();
  const Value* attribute = a.get(1);
  std::vector<Value> seen, out;
  for (const Value& item : iterate(v)) {
    Value k = attribute && !attribute->is_none() ? get_attribute_path(r, item, *attribute, nullptr) : item;
    k = lower_if_string(k, cs);
    bool dup = false;
    for (const Value& s : seen)
      if (equals(s, k)) dup = true;
    if (dup) continue;
    seen.push_back(k);
    out.push_back(item);
  }
  return Value::list(std::move(out));
}

std::string url_quote(const std::string& s, bool for_qs) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' || (!for_qs && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else if (for_qs && c == ' ') {
      out.push_back('+');
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Value f_urlencode(Renderer&, const Value& v, Args& args) {
  ArgReader a("urlencode", args, {});
  if (v.is_string()) return Value(url_quote(v.as_string(), false));
  std::vector<std::pair<Value, Value>> pairs;
  if (v.is_dict()) {
    pairs = v.as_dict().entries;
  } else {
    for (const Value& item : iterate(v)) {
      std::vector<Value> kv = iterate(item);
      if (kv.size() != 2) fail(ErrorKind::Type, "urlencode: expected (key, value) pairs");
      pairs.emplace_back(kv[0], kv[1]);
    }
  }
  if (pairs.empty() && !v.is_dict() && !v.is_list()) return Value(url_quote(v.str(), false));
  std::string out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) out += "&";
    out += url_quote(pairs[i].first.str(), true) + "=" + url_quote(pairs[i].second.str(), true);
  }
  return Value(out);
}

Value f_wordcount(Renderer&, const Value& v, Args& args) {
  ArgReader a("wordcount", args, {});
  std::string s = soft_str(v);
  int64_t n = 0;
  bool in_word = false;
  for (size_t i = 0; i < s.size();) {
    bool w = utf8::is_word(utf8::next(s, i));
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

Value f_wordwrap(Renderer&, const Value& v, Args& args) {
  // Python's textwrap is intricate; this covers the common case (break on spaces).
  ArgReader a("wordwrap", args, {"width", "break_long_words", "wrapstring", "break_on_hyphens"});
  int64_t width = a.get(0, Value(79)).to_int();
  std::string wrap = a.get(2, Value("\n")).str();
  std::string s = soft_str(v);
  std::vector<std::string> out_lines;
  for (const std::string& para : utf8::splitlines(s, false)) {
    std::string line;
    size_t i = 0;
    auto cps = utf8::decode(para);
    std::vector<std::string> words;
    std::string w;
    for (char32_t c : cps) {
      if (utf8::is_space(c)) {
        if (!w.empty()) words.push_back(w);
        w.clear();
      } else {
        utf8::append(w, c);
      }
    }
    if (!w.empty()) words.push_back(w);
    (void)i;
    for (const std::string& word : words) {
      if (!line.empty() && static_cast<int64_t>(utf8::length(line) + 1 + utf8::length(word)) > width) {
        out_lines.push_back(line);
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
    }
    out_lines.push_back(line);
  }
  std::string out;
  for (size_t i = 0; i < out_lines.size(); ++i) out += (i ? wrap : "") + out_lines[i];
  return Value(out);
}

Value f_filesizeformat(Renderer&, const Value& v, Args& args) {
  ArgReader a("filesizeformat", args, {"binary"});
  bool binary = a.get(0, Value(false)).truthy();
  double bytes = v.is_string() ? std::strtod(v.as_string().c_str(), nullptr) : v.to_double();
  double base = binary ? 1024 : 1000;
  static const char* kDec[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  static const char* kBin[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  if (bytes == 1) return Value("1 Byte");
  if (bytes < base) return Value(std::to_string(static_cast<int64_t>(bytes)) + " Bytes");
  char buf[64] = {0};
  for (int i = 0; i < 8; ++i) {
    double unit = std::pow(base, i + 2);
    if (bytes < unit || i == 7) {
      std::snprintf(buf, sizeof(buf), "%.1f %s", base * bytes / unit, binary ? kBin[i] : kDec[i]);
      break;
    }
  }
  return Value(buf);
}

Value f_pprint(Renderer&, const Value& v, Args& args) {
  ArgReader a("pprint", args, {});
  return Value(v.repr());
}

constexpr FilterEntry kFilters[] = {
    {"abs", f_abs},         {"attr", f_attr},           {"batch", f_batch},
    {"capitalize", f_capitalize}, {"center", f_center}, {"count", f_length},
    {"d", f_default},       {"default", f_default},     {"dictsort", f_dictsort},
    {"e", f_escape},        {"escape", f_escape},       {"filesizeformat", f_filesizeformat},
    {"first", f_first},     {"float", f_float},         {"forceescape", f_escape},
    {"format", f_format},   {"groupby", f_groupby},     {"indent", f_indent},
    {"int", f_int},         {"items", f_items},         {"join", f_join},
    {"last", f_last},       {"length", f_length},       {"list", f_list},
    {"lower", f_lower},     {"map", f_map},             {"max", f_max},
    {"min", f_min},         {"pprint", f_pprint},       {"reject", f_reject},
    {"rejectattr", f_rejectattr}, {"replace", f_replace}, {"reverse", f_reverse},
    {"round", f_round},     {"safe", f_safe},           {"select", f_select},
    {"selectattr", f_selectattr}, {"slice", f_slice},   {"sort", f_sort},
    {"string", f_string},   {"striptags", f_striptags}, {"sum", f_sum},
    {"title", f_title},     {"tojson", f_tojson},       {"trim", f_trim},
    {"truncate", f_truncate}, {"unique", f_unique},     {"upper", f_upper},
    {"urlencode", f_urlencode}, {"wordcount", f_wordcount}, {"wordwrap", f_wordwrap},
};

// Jinja2 3.1 filters this engine leaves out (random output, HTML helpers).
constexpr const char* kJinjaOnlyFilters[] = {"random", "urlize", "xmlattr", "mark_safe"};

}  // namespace

const FilterEntry* find_filter(std::string_view name) {
  for (const FilterEntry& f : kFilters)
    if (name == f.name) return &f;
  return nullptr;
}

bool jinja_knows_filter(std::string_view name) {
  for (const char* n : kJinjaOnlyFilters)
    if (name == n) return true;
  return find_filter(name) != nullptr;
}

Value apply_filter(Renderer& r, std::string_view name, const Value& operand, Args& args) {
  const FilterEntry* f = find_filter(name);
  if (!f) fail(ErrorKind::Type, "no filter named '" + std::string(name) + "'");
  return f->fn(r, operand, args);
}

}  // namespace transformers::templates
