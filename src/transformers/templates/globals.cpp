// Global functions (range, dict, namespace, cycler, joiner, raise_exception, strftime_now), the
// template's object types, and the argument reader the built-ins share.
#include <ctime>

#include "transformers/templates/builtins.h"
#include "transformers/templates/error.h"
#include "transformers/templates/objects.h"

namespace transformers::templates {

// ---- ArgReader ----

ArgReader::ArgReader(const char* func, Args& args, std::initializer_list<const char*> names)
    : func_(func), args_(args), names_(names) {
  if (args.pos.size() > names_.size())
    fail(ErrorKind::Type, std::string(func) + "() takes at most " + std::to_string(names_.size()) +
                              " arguments (" + std::to_string(args.pos.size()) + " given)");
  for (const auto& [k, v] : args.kw) {
    bool known = false;
    for (size_t i = 0; i < names_.size(); ++i) {
      if (k != names_[i]) continue;
      known = true;
      if (i < args.pos.size())
        fail(ErrorKind::Type, std::string(func) + "() got multiple values for argument '" + k + "'");
    }
    if (!known)
      fail(ErrorKind::Type, std::string(func) + "() got an unexpected keyword argument '" + k + "'");
  }
}

const Value* ArgReader::get(size_t i) const {
  if (i < args_.pos.size()) return &args_.pos[i];
  if (i < names_.size())
    for (const auto& [k, v] : args_.kw)
      if (k == names_[i]) return &v;
  return nullptr;
}

Value ArgReader::get(size_t i, Value fallback) const {
  const Value* v = get(i);
  return v ? *v : std::move(fallback);
}

// ---- objects ----

Value BoundMethod::call(Renderer& r, Args& args) { return call_method(r, receiver_, name_, args); }

Value Macro::getattr(const std::string& name) {
  if (name == "name") return Value(def_.text);
  if (name == "arguments") {
    std::vector<Value> names;
    for (const Param& p : def_.params) names.emplace_back(p.name);
    return Value::tuple(std::move(names));
  }
  return Object::getattr(name);
}

Value Namespace::getattr(const std::string& name) {
  if (const Value* v = attrs.find(std::string_view(name))) return *v;
  return Object::getattr(name);
}

bool Namespace::setattr(const std::string& name, Value value) {
  attrs.set(Value(name), std::move(value));
  return true;
}

std::string Namespace::str() const {
  std::string out = "<Namespace {";
  bool first = true;
  for (const auto& [k, v] : attrs.entries) {
    if (!first) out += ", ";
    first = false;
    out += k.repr() + ": " + v.repr();
  }
  return out + "}>";
}

namespace {

class LoopMethod : public Object {
 public:
  enum class Kind { Cycle, Changed };
  LoopMethod(std::shared_ptr<LoopObject> loop, Kind kind) : loop_(std::move(loop)), kind_(kind) {}
  const char* type_name() const override { return "method"; }
  bool callable() const override { return true; }
  Value call(Renderer&, Args& args) override {
    if (kind_ == Kind::Cycle) {
      if (args.pos.empty()) fail(ErrorKind::Type, "no items for cycling given");
      return args.pos[loop_->index0 % args.pos.size()];
    }
    Value now = Value::list(args.pos);
    if (loop_->changed_called && equals(now, loop_->last_changed)) return Value(false);
    loop_->changed_called = true;
    loop_->last_changed = now;
    return Value(true);
  }

 private:
  std::shared_ptr<LoopObject> loop_;
  Kind kind_;
};

class CyclerMethod : public Object {
 public:
  CyclerMethod(std::shared_ptr<Cycler> c, bool next) : c_(std::move(c)), next_(next) {}
  const char* type_name() const override { return "method"; }
  bool callable() const override { return true; }
  Value call(Renderer&, Args&) override {
    if (next_) return c_->next();
    c_->reset();
    return Value::none();
  }

 private:
  std::shared_ptr<Cycler> c_;
  bool next_;
};

}  // namespace

Value LoopObject::getattr(const std::string& name) {
  size_t n = items.size();
  if (name == "index") return Value(index0 + 1);
  if (name == "index0") return Value(index0);
  if (name == "revindex") return Value(n - index0);
  if (name == "revindex0") return Value(n - index0 - 1);
  if (name == "first") return Value(index0 == 0);
  if (name == "last") return Value(index0 + 1 == n);
  if (name == "length") return Value(n);
  if (name == "depth") return Value(depth);
  if (name == "depth0") return Value(depth - 1);
  if (name == "previtem")
    return index0 > 0 ? items[index0 - 1] : Value::undefined("there is no previous item");
  if (name == "nextitem")
    return index0 + 1 < n ? items[index0 + 1] : Value::undefined("there is no next item");
  if (name == "cycle") return Value(std::make_shared<LoopMethod>(shared_from_this(), LoopMethod::Kind::Cycle));
  if (name == "changed")
    return Value(std::make_shared<LoopMethod>(shared_from_this(), LoopMethod::Kind::Changed));
  return Object::getattr(name);
}

std::string LoopObject::str() const { return "<LoopContext " + std::to_string(index0 + 1) + "/" +
                                             std::to_string(items.size()) + ">"; }

Value LoopObject::call(Renderer& r, Args& args) {
  if (!def_) fail(ErrorKind::Type, "the loop is not recursive; use 'for ... recursive'");
  if (args.pos.size() != 1) fail(ErrorKind::Type, "loop() takes exactly one argument");
  return r.call_loop(*def_, closure_, args.pos[0], depth);
}

Value Cycler::next() {
  if (items_.empty()) return Value::none();
  Value v = items_[pos_];
  pos_ = (pos_ + 1) % items_.size();
  return v;
}

Value Cycler::getattr(const std::string& name) {
  if (name == "current") return items_.empty() ? Value::none() : items_[pos_];
  if (name == "next") return Value(std::make_shared<CyclerMethod>(shared_from_this(), true));
  if (name == "reset") return Value(std::make_shared<CyclerMethod>(shared_from_this(), false));
  return Object::getattr(name);
}

// ---- globals ----

namespace {

Value g_range(Renderer&, Args& args) {
  if (!args.kw.empty()) fail(ErrorKind::Type, "range() takes no keyword arguments");
  if (args.pos.empty() || args.pos.size() > 3)
    fail(ErrorKind::Type, "range expected 1 to 3 arguments, got " + std::to_string(args.pos.size()));
  int64_t start = 0, stop, step = 1;
  if (args.pos.size() == 1) {
    stop = args.pos[0].to_int();
  } else {
    start = args.pos[0].to_int();
    stop = args.pos[1].to_int();
    if (args.pos.size() == 3) step = args.pos[2].to_int();
  }
  if (step == 0) fail(ErrorKind::Type, "range() arg 3 must not be zero");
  // Jinja's sandbox refuses ranges longer than MAX_RANGE.
  constexpr int64_t kMaxRange = 100000;
  long double count = step > 0 ? (static_cast<long double>(stop) - start + step - 1) / step
                               : (static_cast<long double>(start) - stop - step - 1) / -step;
  if (count > kMaxRange)
    fail(ErrorKind::Security,
         "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  std::vector<Value> items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.emplace_back(i);
  return Value::list(std::move(items));
}

Value g_dict(Renderer&, Args& args) {
  Value d = Value::dict();
  if (args.pos.size() > 1) fail(ErrorKind::Type, "dict expected at most 1 argument");
  if (!args.pos.empty()) {
    const Value& src = args.pos[0];
    if (src.is_dict()) {
      d.as_dict().entries = src.as_dict().entries;
    } else {
      for (const Value& pair : iterate(src)) {
        std::vector<Value> kv = iterate(pair);
        if (kv.size() != 2) fail(ErrorKind::Type, "dictionary update sequence element has wrong length");
        d.as_dict().set(kv[0], kv[1]);
      }
    }
  }
  for (auto& [k, v] : args.kw) d.as_dict().set(Value(k), v);
  return d;
}

Value g_namespace(Renderer&, Args& args) {
  auto ns = std::make_shared<Namespace>();
  for (const Value& src : args.pos) {
    if (!src.is_dict()) fail(ErrorKind::Type, "namespace() positional arguments must be mappings");
    for (const auto& [k, v] : src.as_dict().entries) ns->attrs.set(k, v);
  }
  for (auto& [k, v] : args.kw) ns->attrs.set(Value(k), v);
  return Value(std::shared_ptr<Object>(ns));
}

Value g_cycler(Renderer&, Args& args) {
  return Value(std::shared_ptr<Object>(std::make_shared<Cycler>(args.pos)));
}

Value g_joiner(Renderer&, Args& args) {
  ArgReader a("joiner", args, {"sep"});
  return Value(std::shared_ptr<Object>(std::make_shared<Joiner>(a.get(0, Value(", ")).str())));
}

Value g_raise_exception(Renderer&, Args& args) {
  std::string msg = args.pos.empty() ? std::string() : args.pos[0].str();
  throw TemplateError(ErrorKind::Raised, msg);
}

Value g_strftime_now(Renderer&, Args& args) {
  ArgReader a("strftime_now", args, {"format"});
  if (!a.has(0) || !a.get(0)->is_string()) fail(ErrorKind::Type, "strftime_now() needs a format string");
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[512];
  size_t n = std::strftime(buf, sizeof(buf), a.get(0)->as_string().c_str(), &tm);
  return Value(std::string(buf, n));
}

Value fn(const char* name, Function::Fn f) {
  return Value(std::shared_ptr<Object>(std::make_shared<Function>(name, f)));
}

}  // namespace

void add_globals(DictData& g) {
  g.set(Value("range"), fn("range", g_range));
  g.set(Value("dict"), fn("dict", g_dict));
  g.set(Value("namespace"), fn("namespace", g_namespace));
  g.set(Value("cycler"), fn("cycler", g_cycler));
  g.set(Value("joiner"), fn("joiner", g_joiner));
  g.set(Value("raise_exception"), fn("raise_exception", g_raise_exception));
  g.set(Value("strftime_now"), fn("strftime_now", g_strftime_now));
}

}  // namespace transformers::templates
