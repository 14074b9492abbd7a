#pragma once
// The built-in filters, tests, methods and globals, looked up by name.
#include <string_view>

#include "transformers/templates/value.h"

namespace transformers::templates {

using FilterFn = Value (*)(Renderer& r, const Value& operand, Args& args);
using TestFn = bool (*)(Renderer& r, const Value& operand, Args& args);

struct FilterEntry {
  const char* name;
  FilterFn fn;
};
struct TestEntry {
  const char* name;
  TestFn fn;
};

// Null when this engine has no such filter/test.
const FilterEntry* find_filter(std::string_view name);
const TestEntry* find_test(std::string_view name);
// Whether Jinja2 itself knows the name: an unknown name is a syntax error (as in Jinja), a
// name Jinja knows but this engine lacks fails only when it is used.
bool jinja_knows_filter(std::string_view name);
bool jinja_knows_test(std::string_view name);

// Python methods of str, dict and list (`s.strip()`, `d.items()`, `l.append(x)`), for the
// receiver's type. Returns false when the receiver's type has no method of that name.
bool has_method(const Value& receiver, std::string_view name);
Value call_method(Renderer& r, const Value& receiver, const std::string& name, Args& args);

// The global functions every template sees: range, dict, namespace, cycler, joiner,
// raise_exception, strftime_now.
void add_globals(DictData& globals);

// Argument helpers shared by filters, tests, methods and globals: the i-th positional argument or
// the keyword `name`, else the fallback. Fails on unexpected keywords or too many positionals.
class ArgReader {
 public:
  ArgReader(const char* func, Args& args, std::initializer_list<const char*> names);
  const Value* get(size_t i) const;  // null when absent
  Value get(size_t i, Value fallback) const;
  bool has(size_t i) const { return get(i) != nullptr; }

 private:
  const char* func_;
  Args& args_;
  std::vector<const char*> names_;
};

// Applies a filter by name (for map(), select() and filter blocks).
Value apply_filter(Renderer& r, std::string_view name, const Value& operand, Args& args);
bool apply_test(Renderer& r, std::string_view name, const Value& operand, Args& args);

}  // namespace transformers::templates
