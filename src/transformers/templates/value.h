#pragma once
// Value: what a template computes with. Python's data model, as far as chat templates reach it:
// Undefined (Jinja's default Undefined), None, bool, int, float, str, list/tuple, dict (insertion
// ordered) and objects (functions, macros, namespaces, loops, cyclers). Lists, dicts and objects
// are shared by reference, as in Python, so `ns.x = ...` and `list.append` are seen by every holder.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace transformers::templates {

class Value;
class Renderer;

// Call arguments: positional, then keyword (in call order).
struct Args {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
};

struct ListData {
  std::vector<Value> items;
  bool tuple = false;
  // Named-tuple field names (groupby's (grouper, list)); null for plain lists and tuples.
  std::shared_ptr<const std::vector<std::string>> fields;
};

struct DictData {
  std::vector<std::pair<Value, Value>> entries;  // insertion order, as Python 3.7+
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  const Value* find(const char* key) const { return find(std::string_view(key)); }
  const Value* find(const std::string& key) const { return find(std::string_view(key)); }
  void set(Value key, Value value);
  bool erase(const Value& key);
};

// Anything callable or with attributes that is not plain data.
class Object {
 public:
  virtual ~Object() = default;
  virtual const char* type_name() const = 0;
  // Attribute lookup; an undefined Value when absent.
  virtual Value getattr(const std::string& name);
  // Attribute assignment (`set ns.x = v`); false when the object does not allow it.
  virtual bool setattr(const std::string& name, Value value);
  virtual bool callable() const { return false; }
  virtual Value call(Renderer& renderer, Args& args);
  virtual std::string str() const;
};

struct UndefinedData {
  std::string hint;  // the message of the error raised when this undefined is misused
};

class Value {
 public:
  enum class Type : uint8_t { Undefined, None, Bool, Int, Float, String, List, Dict, Object };

  Value() : v_(UndefinedData{}) {}
  Value(std::nullptr_t) : v_(nullptr) {}
  Value(bool b) : v_(b) {}
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T i) : v_(static_cast<int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::shared_ptr<ListData> l) : v_(std::move(l)) {}
  Value(std::shared_ptr<DictData> d) : v_(std::move(d)) {}
  Value(std::shared_ptr<Object> o) : v_(std::move(o)) {}

  static Value undefined(std::string hint) { return Value(UndefinedTag{}, std::move(hint)); }
  static Value none() { return Value(nullptr); }
  static Value list(std::vector<Value> items = {});
  static Value tuple(std::vector<Value> items);
  static Value dict();

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_undefined() const { return type() == Type::Undefined; }
  bool is_none() const { return type() == Type::None; }
  bool is_bool() const { return type() == Type::Bool; }
  bool is_int() const { return type() == Type::Int; }
  bool is_float() const { return type() == Type::Float; }
  // int, float or bool (bool is an int subclass in Python)
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return type() == Type::String; }
  bool is_list() const { return type() == Type::List; }  // list or tuple
  bool is_tuple() const { return is_list() && std::get<6>(v_)->tuple; }
  bool is_dict() const { return type() == Type::Dict; }
  bool is_object() const { return type() == Type::Object; }

  bool as_bool() const { return std::get<2>(v_); }
  int64_t as_int() const { return std::get<3>(v_); }
  double as_float() const { return std::get<4>(v_); }
  const std::string& as_string() const { return std::get<5>(v_); }
  ListData& as_list() const { return *std::get<6>(v_); }
  DictData& as_dict() const { return *std::get<7>(v_); }
  Object& as_object() const { return *std::get<8>(v_); }
  const std::shared_ptr<ListData>& list_ptr() const { return std::get<6>(v_); }
  const std::shared_ptr<DictData>& dict_ptr() const { return std::get<7>(v_); }
  const std::shared_ptr<Object>& object_ptr() const { return std::get<8>(v_); }
  const std::string& undefined_hint() const { return std::get<0>(v_).hint; }

  // Numeric value of an int, bool or float.
  double to_double() const;
  // Integer value of an int or bool.
  int64_t to_int() const;

  bool truthy() const;
  std::string str() const;   // Python str(); undefined renders as ""
  std::string repr() const;  // Python repr()
  // Python type name, as Jinja's messages use it ('str', 'int', 'list', 'dict', 'NoneType' ...).
  std::string type_name() const;
  bool callable() const { return is_object() && as_object().callable(); }

 private:
  struct UndefinedTag {};
  Value(UndefinedTag, std::string hint) : v_(UndefinedData{std::move(hint)}) {}

  std::variant<UndefinedData, std::nullptr_t, bool, int64_t, double, std::string,
               std::shared_ptr<ListData>, std::shared_ptr<DictData>, std::shared_ptr<Object>>
      v_;
};

// Python ==, with 1 == 1.0 == True.
bool equals(const Value& a, const Value& b);
// Python's ordering (<0, 0, >0) for numbers, strings, lists/tuples; TemplateError(Type) otherwise.
int compare(const Value& a, const Value& b, const char* op = "<");
// Python repr() of a float: shortest round-trip digits, "1.0", "1e+16", "inf", "nan".
std::string format_float(double d);
// Python repr() of a str.
std::string repr_string(std::string_view s);
// Items of an iterable as Python's iter() yields them: list items, dict keys, string characters;
// undefined yields nothing. TemplateError(Type) for anything else.
std::vector<Value> iterate(const Value& v);
// Python len(); TemplateError(Type) for values without one.
int64_t length(const Value& v);

}  // namespace transformers::templates

namespace transformers::templates {
// Python's `item in container` (substring for strings, key for dicts, element for lists).
bool contains(const Value& container, const Value& item);
}  // namespace transformers::templates
