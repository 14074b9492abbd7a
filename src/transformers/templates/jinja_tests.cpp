// Jinja2's built-in tests (`x is defined`, `n is divisibleby 3` ...).
#include <cmath>

#include "transformers/templates/builtins.h"
#include "transformers/templates/error.h"
#include "transformers/templates/renderer.h"
#include "transformers/templates/utf8.h"

namespace transformers::templates {

namespace {

const Value& arg0(const char* test, Args& args) {
  if (args.pos.empty() && args.kw.empty())
    fail(ErrorKind::Type, std::string(test) + "() missing 1 required positional argument");
  return args.pos.empty() ? args.kw[0].second : args.pos[0];
}

bool t_defined(Renderer&, const Value& v, Args&) { return !v.is_undefined(); }
bool t_undefined(Renderer&, const Value& v, Args&) { return v.is_undefined(); }
bool t_none(Renderer&, const Value& v, Args&) { return v.is_none(); }
bool t_string(Renderer&, const Value& v, Args&) { return v.is_string(); }
bool t_number(Renderer&, const Value& v, Args&) { return v.is_number(); }
bool t_integer(Renderer&, const Value& v, Args&) { return v.is_int(); }
bool t_float(Renderer&, const Value& v, Args&) { return v.is_float(); }
bool t_boolean(Renderer&, const Value& v, Args&) { return v.is_bool(); }
bool t_true(Renderer&, const Value& v, Args&) { return v.is_bool() && v.as_bool(); }
bool t_false(Renderer&, const Value& v, Args&) { return v.is_bool() && !v.as_bool(); }
bool t_mapping(Renderer&, const Value& v, Args&) { return v.is_dict(); }
// iterable: anything iter() accepts; Jinja's Undefined is iterable (it yields nothing).
bool t_iterable(Renderer&, const Value& v, Args&) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
bool t_sequence(Renderer&, const Value& v, Args&) {
  return v.is_string() || v.is_list() || v.is_dict();
}
bool t_callable(Renderer&, const Value& v, Args&) { return v.callable(); }

int64_t int_operand(const char* test, const Value& v) {
  if (v.is_int() || v.is_bool()) return v.to_int();
  if (v.is_float() && std::floor(v.as_float()) == v.as_float()) return static_cast<int64_t>(v.as_float());
  if (v.is_float()) return INT64_MIN;  // a non-integral float is neither even nor odd
  fail(ErrorKind::Type, std::string(test) + ": expected a number, got '" + v.type_name() + "'");
}

bool t_even(Renderer&, const Value& v, Args&) {
  int64_t i = int_operand("even", v);
  return i != INT64_MIN && i % 2 == 0;
}
bool t_odd(Renderer&, const Value& v, Args&) {
  int64_t i = int_operand("odd", v);
  return i != INT64_MIN && i % 2 != 0;
}
bool t_divisibleby(Renderer&, const Value& v, Args& args) {
  const Value& d = arg0("divisibleby", args);
  if (v.is_float() || d.is_float()) {
    double y = d.to_double();
    if (y == 0) fail(ErrorKind::Type, "float modulo");
    return std::fmod(v.to_double(), y) == 0;
  }
  int64_t y = d.to_int();
  if (y == 0) fail(ErrorKind::Type, "integer division or modulo by zero");
  return v.to_int() % y == 0;
}

bool t_eq(Renderer&, const Value& v, Args& args) { return equals(v, arg0("eq", args)); }
bool t_ne(Renderer&, const Value& v, Args& args) { return !equals(v, arg0("ne", args)); }
bool t_lt(Renderer&, const Value& v, Args& args) { return compare(v, arg0("lt", args), "<") < 0; }
bool t_le(Renderer&, const Value& v, Args& args) { return compare(v, arg0("le", args), "<=") <= 0; }
bool t_gt(Renderer&, const Value& v, Args& args) { return compare(v, arg0("gt", args), ">") > 0; }
bool t_ge(Renderer&, const Value& v, Args& args) { return compare(v, arg0("ge", args), ">=") >= 0; }
bool t_in(Renderer&, const Value& v, Args& args) { return contains(arg0("in", args), v); }

// Python's `is`: identity. Shared containers and objects compare by pointer; None, booleans and
// small ints are singletons in CPython, and equal strings are treated as the same object.
bool t_sameas(Renderer&, const Value& v, Args& args) {
  const Value& o = arg0("sameas", args);
  if (v.type() != o.type()) return false;
  switch (v.type()) {
    case Value::Type::None:
    case Value::Type::Undefined: return true;
    case Value::Type::Bool: return v.as_bool() == o.as_bool();
    case Value::Type::Int: return v.as_int() == o.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    case Value::Type::List: return v.list_ptr() == o.list_ptr();
    case Value::Type::Dict: return v.dict_ptr() == o.dict_ptr();
    case Value::Type::Object: return v.object_ptr() == o.object_ptr();
    case Value::Type::String: return v.as_string() == o.as_string();
    default: return false;
  }
}

// Python's str.islower()/isupper(): at least one cased character, all of them in that case.
bool cased_all(const Value& v, bool want_lower) {
  std::string s = v.str();
  bool any = false;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8::next(s, i);
    if (utf8::is_upper(c)) {
      if (want_lower) return false;
      any = true;
    } else if (utf8::is_lower(c)) {
      if (!want_lower) return false;
      any = true;
    }
  }
  return any;
}
bool t_lower(Renderer&, const Value& v, Args&) { return cased_all(v, true); }
bool t_upper(Renderer&, const Value& v, Args&) { return cased_all(v, false); }
bool t_escaped(Renderer&, const Value&, Args&) { return false; }
bool t_filter(Renderer&, const Value& v, Args&) { return v.is_string() && find_filter(v.as_string()); }
bool t_test(Renderer&, const Value& v, Args&) { return v.is_string() && find_test(v.as_string()); }

constexpr TestEntry kTests[] = {
    {"boolean", t_boolean}, {"callable", t_callable}, {"defined", t_defined},
    {"divisibleby", t_divisibleby}, {"eq", t_eq}, {"equalto", t_eq}, {"==", t_eq},
    {"escaped", t_escaped}, {"even", t_even}, {"false", t_false}, {"filter", t_filter},
    {"float", t_float}, {"ge", t_ge}, {">=", t_ge}, {"gt", t_gt}, {"greaterthan", t_gt},
    {">", t_gt}, {"in", t_in}, {"integer", t_integer}, {"iterable", t_iterable},
    {"le", t_le}, {"<=", t_le}, {"lower", t_lower}, {"lt", t_lt}, {"lessthan", t_lt},
    {"<", t_lt}, {"mapping", t_mapping}, {"ne", t_ne}, {"!=", t_ne}, {"none", t_none},
    {"number", t_number}, {"odd", t_odd}, {"sameas", t_sameas}, {"sequence", t_sequence},
    {"string", t_string}, {"test", t_test}, {"true", t_true}, {"undefined", t_undefined},
    {"upper", t_upper},
};

}  // namespace

const TestEntry* find_test(std::string_view name) {
  for (const TestEntry& t : kTests)
    if (name == t.name) return &t;
  return nullptr;
}

bool jinja_knows_test(std::string_view name) { return find_test(name) != nullptr; }

bool apply_test(Renderer& r, std::string_view name, const Value& operand, Args& args) {
  const TestEntry* t = find_test(name);
  if (!t) fail(ErrorKind::Type, "no test named '" + std::string(name) + "'");
  return t->fn(r, operand, args);
}

}  // namespace transformers::templates
