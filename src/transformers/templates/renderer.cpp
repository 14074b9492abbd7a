#include "transformers/templates/renderer.h"

#include <algorithm>
#include <cmath>

#include "transformers/templates/builtins.h"
#include "transformers/templates/error.h"
#include "transformers/templates/objects.h"
#include "transformers/templates/pyformat.h"
#include "transformers/templates/utf8.h"

namespace transformers::templates {

namespace {

// Jinja's object_type_repr, for "'dict object' has no attribute 'x'".
std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  return v.type_name() + " object";
}

Value missing_attribute(const Value& obj, const std::string& name) {
  return Value::undefined("'" + object_type_repr(obj) + "' has no attribute '" + name + "'");
}

[[noreturn]] void fail_undefined(const Value& v) { fail(ErrorKind::Undefined, v.undefined_hint()); }

int64_t checked(bool overflow, int64_t v) {
  if (overflow) fail(ErrorKind::Limit, "integer overflow (this engine's integers are 64-bit)");
  return v;
}

// Python slice semantics over n items: fills the selected indices.
std::vector<size_t> slice_indices(int64_t n, const Value& start_v, const Value& stop_v,
                                  const Value& step_v) {
  int64_t step = step_v.is_none() || step_v.is_undefined() ? 1 : step_v.to_int();
  if (step == 0) fail(ErrorKind::Type, "slice step cannot be zero");
  auto norm = [&](const Value& v, int64_t dflt, int64_t lo, int64_t hi) {
    if (v.is_none() || v.is_undefined()) return dflt;
    int64_t i = v.to_int();
    if (i < 0) i += n;
    return std::clamp(i, lo, hi);
  };
  std::vector<size_t> idx;
  if (step > 0) {
    int64_t start = norm(start_v, 0, 0, n), stop = norm(stop_v, n, 0, n);
    for (int64_t i = start; i < stop; i += step) idx.push_back(static_cast<size_t>(i));
  } else {
    int64_t start = norm(start_v, n - 1, -1, n - 1), stop = norm(stop_v, -1, -1, n - 1);
    for (int64_t i = start; i > stop; i += step) idx.push_back(static_cast<size_t>(i));
  }
  return idx;
}

Value do_slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_list()) {
    const auto& items = obj.as_list().items;
    std::vector<Value> out;
    for (size_t i : slice_indices(static_cast<int64_t>(items.size()), start, stop, step))
      out.push_back(items[i]);
    return obj.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  if (obj.is_string()) {
    const std::string& s = obj.as_string();
    std::string out;
    bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
    if (ascii) {
      for (size_t i : slice_indices(static_cast<int64_t>(s.size()), start, stop, step))
        out.push_back(s[i]);
    } else {
      auto cps = utf8::decode(s);
      for (size_t i : slice_indices(static_cast<int64_t>(cps.size()), start, stop, step))
        utf8::append(out, cps[i]);
    }
    return Value(std::move(out));
  }
  if (obj.is_undefined()) fail_undefined(obj);
  fail(ErrorKind::Type, "'" + obj.type_name() + "' object is not subscriptable");
}

}  // namespace

Renderer::Renderer(const DictData& context, const DictData& globals, const RenderLimits& limits)
    : globals_(globals), limits_(limits), frame_(new_frame(nullptr)) {
  for (const auto& [k, v] : context.entries)
    if (k.is_string()) frame_->vars[k.as_string()] = v;
}

// Note [Scope cycles]
// A macro keeps the scope it was defined in, and that scope holds the macro: a reference cycle.
// Values never outlive a render (its result is a string), so the renderer remembers every scope
// it made and empties them when it is done, which frees the cycles.
std::shared_ptr<Frame> Renderer::new_frame(std::shared_ptr<Frame> parent) {
  auto f = std::make_shared<Frame>();
  f->parent = std::move(parent);
  frames_.push_back(f);
  return f;
}

Renderer::~Renderer() {
  for (const std::weak_ptr<Frame>& w : frames_) {
    if (std::shared_ptr<Frame> f = w.lock()) {
      f->vars.clear();
      f->parent.reset();
    }
  }
}

std::string Renderer::render(const Body& body) {
  out_ = &root_out_;
  try {
    exec_body(body);
  } catch (TemplateError& e) {
    if (!e.has_location()) {
      if (current_) {
        e.set_location(current_->line, current_->column);
      } else if (current_stmt_) {
        e.set_location(current_stmt_->line, current_stmt_->column);
      }
    }
    throw;
  }
  return std::move(root_out_);
}

void Renderer::check_size(size_t bytes) const {
  if (bytes > limits_.max_output_bytes)
    fail(ErrorKind::Limit, "output limit exceeded (" + std::to_string(limits_.max_output_bytes) +
                               " bytes)");
}

void Renderer::count_step() {
  if (++steps_ > limits_.max_steps)
    fail(ErrorKind::Limit,
         "step limit exceeded (" + std::to_string(limits_.max_steps) + " loop iterations and calls)");
}

void Renderer::write(const std::string& s) {
  check_size(out_->size() + s.size());
  out_->append(s);
}

// ---- statements ----

Renderer::Flow Renderer::exec_body(const Body& body) {
  for (const StmtPtr& s : body) {
    Flow f = exec(*s);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

std::string Renderer::capture(const Body& body, const std::shared_ptr<Frame>& frame) {
  std::string buf;
  std::string* saved_out = out_;
  std::shared_ptr<Frame> saved_frame = frame_;
  out_ = &buf;
  frame_ = frame;
  try {
    exec_body(body);
  } catch (...) {
    out_ = saved_out;
    frame_ = saved_frame;
    throw;
  }
  out_ = saved_out;
  frame_ = saved_frame;
  return buf;
}

Renderer::Flow Renderer::exec(const Stmt& s) {
  current_stmt_ = &s;
  current_ = nullptr;
  switch (s.kind) {
    case StmtKind::Text: write(s.text); break;
    case StmtKind::Output: {
      Value v = eval(*s.expr);
      if (v.is_string()) {
        write(v.as_string());
      } else {
        write(v.str());
      }
      break;
    }
    case StmtKind::If:
      for (const auto& [cond, body] : s.branches)
        if (eval(*cond).truthy()) return exec_body(body);
      return exec_body(s.else_body);
    case StmtKind::For: exec_for(s, eval(*s.expr), 0); break;
    case StmtKind::Set: assign(*s.target, eval(*s.expr)); break;
    case StmtKind::SetBlock: {
      auto frame = new_frame(frame_);
      Value v = capture(s.body, frame);
      assign(*s.target, apply_filters(s.filters, std::move(v)));
      break;
    }
    case StmtKind::Macro:
      frame_->vars[s.text] = Value(std::make_shared<Macro>(s, frame_));
      break;
    case StmtKind::CallBlock: {
      Value caller(std::make_shared<Macro>(s, frame_));
      const Expr& call = *s.expr;
      current_ = &call;
      Value callee = eval(*call.args[0]);
      Args args = eval_args(call, 1);
      if (callee.is_object()) {
        if (auto* m = dynamic_cast<Macro*>(&callee.as_object())) {
          (void)m;
          args.kw.emplace_back("caller", caller);
        }
      }
      Value result = this->call(callee, args);
      write(result.str());
      break;
    }
    case StmtKind::FilterBlock: {
      auto frame = new_frame(frame_);
      Value v = capture(s.body, frame);
      write(apply_filters(s.filters, std::move(v)).str());
      break;
    }
    case StmtKind::Break: return Flow::Break;
    case StmtKind::Continue: return Flow::Continue;
    case StmtKind::Generation: {
      bool at_root = out_ == &root_out_;
      size_t start = out_->size();
      Flow f = exec_body(s.body);
      if (at_root) spans_.emplace_back(start, out_->size());
      return f;
    }
    case StmtKind::With: {
      auto frame = new_frame(frame_);
      std::vector<Value> values;
      for (const auto& [target, value] : s.assigns) values.push_back(eval(*value));
      std::shared_ptr<Frame> saved = frame_;
      frame_ = frame;
      try {
        for (size_t i = 0; i < values.size(); ++i) assign(*s.assigns[i].first, values[i]);
        Flow f = exec_body(s.body);
        frame_ = saved;
        return f;
      } catch (...) {
        frame_ = saved;
        throw;
      }
    }
    case StmtKind::Block: {
      auto frame = new_frame(frame_);
      write(capture(s.body, frame));
      break;
    }
  }
  return Flow::Normal;
}

void Renderer::exec_for(const Stmt& s, const Value& iterable, int depth) {
  std::vector<Value> items;
  if (iterable.is_dict()) {
    items = iterate(iterable);
  } else if (iterable.is_list()) {
    items = iterable.as_list().items;
  } else {
    items = iterate(iterable);
  }
  std::shared_ptr<Frame> outer = frame_;
  if (s.cond) {
    // The loop's `if` filters before iterating, so loop.length counts only the kept items.
    std::vector<Value> kept;
    auto probe = new_frame(outer);
    frame_ = probe;
    try {
      for (Value& item : items) {
        count_step();
        probe->vars.clear();
        assign(*s.target, item);
        if (eval(*s.cond).truthy()) kept.push_back(std::move(item));
      }
    } catch (...) {
      frame_ = outer;
      throw;
    }
    frame_ = outer;
    items = std::move(kept);
  }
  if (items.empty()) {
    exec_body(s.else_body);
    return;
  }
  auto loop = std::make_shared<LoopObject>(std::move(items), depth + 1,
                                           s.recursive ? &s : nullptr, outer);
  Value loop_value(loop);
  try {
    std::shared_ptr<Frame> frame;
    for (size_t i = 0; i < loop->items.size(); ++i) {
      count_step();
      loop->index0 = i;
      // Each iteration gets a fresh scope; the previous one is recycled unless something (a
      // macro defined in the body) still holds it.
      if (frame && frame.use_count() == 1) {
        frame->vars.clear();
      } else {
        frame = new_frame(outer);
      }
      frame->vars["loop"] = loop_value;
      frame_ = frame;
      assign(*s.target, loop->items[i]);
      Flow f = exec_body(s.body);
      frame_ = outer;
      if (f == Flow::Break) break;
    }
  } catch (...) {
    frame_ = outer;
    throw;
  }
  frame_ = outer;
}

Value Renderer::call_loop(const Stmt& def, const std::shared_ptr<Frame>& closure,
                          const Value& items, int depth) {
  if (depth_ >= limits_.max_call_depth)
    fail(ErrorKind::Limit, "recursion limit exceeded (" + std::to_string(limits_.max_call_depth) +
                               " nested calls)");
  ++depth_;
  std::string buf;
  std::string* saved_out = out_;
  std::shared_ptr<Frame> saved_frame = frame_;
  out_ = &buf;
  frame_ = closure;
  try {
    exec_for(def, items, depth);
  } catch (...) {
    out_ = saved_out;
    frame_ = saved_frame;
    --depth_;
    throw;
  }
  out_ = saved_out;
  frame_ = saved_frame;
  --depth_;
  return Value(std::move(buf));
}

void Renderer::assign(const Expr& target, Value value) {
  switch (target.kind) {
    case ExprKind::Name: frame_->vars[target.name] = std::move(value); return;
    case ExprKind::Tuple: {
      std::vector<Value> items = iterate(value);
      if (items.size() != target.args.size())
        fail(ErrorKind::Type,
             items.size() > target.args.size()
                 ? "too many values to unpack (expected " + std::to_string(target.args.size()) + ")"
                 : "not enough values to unpack (expected " + std::to_string(target.args.size()) +
                       ", got " + std::to_string(items.size()) + ")");
      for (size_t i = 0; i < items.size(); ++i) assign(*target.args[i], std::move(items[i]));
      return;
    }
    case ExprKind::NsRef: {
      Value ns = lookup(target.name);
      if (ns.is_undefined()) fail_undefined(ns);
      if (!ns.is_object() || !ns.as_object().setattr(target.op, std::move(value)))
        fail(ErrorKind::Type, "cannot assign attribute on non-namespace object");
      return;
    }
    default: fail(ErrorKind::Syntax, "cannot assign to this expression");
  }
}

Value Renderer::apply_filters(const std::vector<ExprPtr>& filters, Value value) {
  for (const ExprPtr& f : filters) {
    current_ = f.get();
    Args args = eval_args(*f, 1);
    if (!f->fn) fail(ErrorKind::Type, "filter '" + f->name + "' is not supported by this engine");
    value = static_cast<const FilterEntry*>(f->fn)->fn(*this, value, args);
  }
  return value;
}

Value Renderer::call_macro(const Stmt& def, const std::shared_ptr<Frame>& closure, Args& args,
                           const Value& caller) {
  if (depth_ >= limits_.max_call_depth)
    fail(ErrorKind::Limit, "recursion limit exceeded (" + std::to_string(limits_.max_call_depth) +
                               " nested calls)");
  count_step();
  auto frame = new_frame(closure);
  std::shared_ptr<Frame> saved_frame = frame_;
  frame_ = frame;
  ++depth_;
  struct Restore {
    Renderer& r;
    std::shared_ptr<Frame> f;
    ~Restore() {
      r.frame_ = f;
      --r.depth_;
    }
  } restore{*this, saved_frame};

  const std::vector<Param>& params = def.params;
  std::vector<Value> varargs;
  for (size_t i = 0; i < args.pos.size(); ++i) {
    if (i < params.size()) {
      frame->vars[params[i].name] = args.pos[i];
    } else {
      varargs.push_back(args.pos[i]);
    }
  }
  Value kwargs = Value::dict();
  for (auto& [k, v] : args.kw) {
    bool is_param = false;
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].name != k) continue;
      if (i < args.pos.size())
        fail(ErrorKind::Type, "macro '" + def.text + "' got multiple values for argument '" + k + "'");
      frame->vars[k] = v;
      is_param = true;
    }
    if (k == "caller" && !is_param && def.kind == StmtKind::Macro) {
      frame->vars["caller"] = v;
      continue;
    }
    if (!is_param) kwargs.as_dict().set(Value(k), v);
  }
  for (const Param& p : params) {
    if (frame->vars.count(p.name)) continue;
    frame->vars[p.name] =
        p.default_value ? eval(*p.default_value)
                        : Value::undefined("parameter '" + p.name + "' was not provided");
  }
  frame->vars["varargs"] = Value::tuple(std::move(varargs));
  frame->vars["kwargs"] = kwargs;
  if (!caller.is_undefined()) frame->vars["caller"] = caller;
  std::string buf;
  std::string* saved_out = out_;
  out_ = &buf;
  try {
    exec_body(def.body);
  } catch (...) {
    out_ = saved_out;
    throw;
  }
  out_ = saved_out;
  return Value(std::move(buf));
}

// ---- expressions ----

Value Renderer::lookup(const std::string& name) const {
  for (const Frame* f = frame_.get(); f; f = f->parent.get()) {
    auto it = f->vars.find(name);
    if (it != f->vars.end()) return it->second;
  }
  if (const Value* g = globals_.find(std::string_view(name))) return *g;
  return Value::undefined("'" + name + "' is undefined");
}

Args Renderer::eval_args(const Expr& e, size_t first) {
  Args args;
  args.pos.reserve(e.args.size() - first);
  for (size_t i = first; i < e.args.size(); ++i) args.pos.push_back(eval(*e.args[i]));
  for (const auto& [k, v] : e.kwargs) args.kw.emplace_back(k, eval(*v));
  return args;
}

Value Renderer::getattr(const Value& obj, const std::string& name) {
  switch (obj.type()) {
    case Value::Type::Undefined: fail_undefined(obj);
    case Value::Type::Dict: {
      // Python attribute lookup first (d.items is the method), then the item.
      if (has_method(obj, name)) return Value(std::make_shared<BoundMethod>(obj, name));
      if (const Value* v = obj.as_dict().find(std::string_view(name))) return *v;
      return missing_attribute(obj, name);
    }
    case Value::Type::String:
    case Value::Type::List: {
      if (has_method(obj, name)) return Value(std::make_shared<BoundMethod>(obj, name));
      if (obj.is_list() && obj.as_list().fields) {
        const auto& fields = *obj.as_list().fields;
        for (size_t i = 0; i < fields.size(); ++i)
          if (fields[i] == name) return obj.as_list().items[i];
      }
      return missing_attribute(obj, name);
    }
    case Value::Type::Object: return obj.as_object().getattr(name);
    default: return missing_attribute(obj, name);
  }
}

Value Renderer::getitem(const Value& obj, const Value& key) {
  switch (obj.type()) {
    case Value::Type::Undefined: fail_undefined(obj);
    case Value::Type::Dict: {
      if (const Value* v = obj.as_dict().find(key)) return *v;
      if (key.is_string()) return getattr(obj, key.as_string());
      return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
    }
    case Value::Type::List: {
      if (key.is_int() || key.is_bool()) {
        const auto& items = obj.as_list().items;
        int64_t i = key.to_int();
        int64_t n = static_cast<int64_t>(items.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n)
          return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
        return items[static_cast<size_t>(i)];
      }
      if (key.is_string()) return getattr(obj, key.as_string());
      return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
    }
    case Value::Type::String: {
      if (key.is_int() || key.is_bool()) {
        const std::string& s = obj.as_string();
        int64_t i = key.to_int();
        auto cps = utf8::decode(s);
        int64_t n = static_cast<int64_t>(cps.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n)
          return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
        std::string out;
        utf8::append(out, cps[static_cast<size_t>(i)]);
        return Value(std::move(out));
      }
      if (key.is_string()) return getattr(obj, key.as_string());
      return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
    }
    case Value::Type::Object:
      if (key.is_string()) return obj.as_object().getattr(key.as_string());
      return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
    default:
      if (key.is_string()) return missing_attribute(obj, key.as_string());
      return Value::undefined(object_type_repr(obj) + " has no element " + key.repr());
  }
}

Value Renderer::call(const Value& callee, Args& args) {
  if (callee.is_undefined()) fail_undefined(callee);
  if (!callee.callable()) fail(ErrorKind::Type, "'" + callee.type_name() + "' object is not callable");
  return callee.as_object().call(*this, args);
}

Value Renderer::eval_call(const Expr& e) {
  const Expr& callee = *e.args[0];
  if (callee.kind == ExprKind::Getattr) {
    // Method calls on plain data go straight to the method table.
    Value receiver = eval(*callee.args[0]);
    if ((receiver.is_string() || receiver.is_list() || receiver.is_dict()) &&
        has_method(receiver, callee.name)) {
      Args args = eval_args(e, 1);
      current_ = &e;
      return call_method(*this, receiver, callee.name, args);
    }
    Value fn = getattr(receiver, callee.name);
    Args args = eval_args(e, 1);
    current_ = &e;
    return call(fn, args);
  }
  Value fn = eval(callee);
  Args args = eval_args(e, 1);
  current_ = &e;
  return call(fn, args);
}

Value Renderer::eval(const Expr& e) {
  current_ = &e;
  switch (e.kind) {
    case ExprKind::Const: return e.value;
    case ExprKind::Name: return lookup(e.name);
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      items.reserve(e.args.size());
      for (const ExprPtr& a : e.args) items.push_back(eval(*a));
      return e.kind == ExprKind::List ? Value::list(std::move(items))
                                      : Value::tuple(std::move(items));
    }
    case ExprKind::Dict: {
      Value d = Value::dict();
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value k = eval(*e.args[i]);
        if (k.is_list() && !k.is_tuple()) fail(ErrorKind::Type, "unhashable type: 'list'");
        if (k.is_dict()) fail(ErrorKind::Type, "unhashable type: 'dict'");
        d.as_dict().set(std::move(k), eval(*e.args[i + 1]));
      }
      return d;
    }
    case ExprKind::Getattr: {
      Value obj = eval(*e.args[0]);
      current_ = &e;
      return getattr(obj, e.name);
    }
    case ExprKind::Getitem: {
      Value obj = eval(*e.args[0]);
      const Expr& k = *e.args[1];
      if (k.kind == ExprKind::Slice) {
        Value parts[3];
        for (int i = 0; i < 3; ++i)
          if (k.args[i]) parts[i] = eval(*k.args[i]);
        current_ = &e;
        return do_slice(obj, parts[0], parts[1], parts[2]);
      }
      Value key = eval(k);
      current_ = &e;
      return getitem(obj, key);
    }
    case ExprKind::Slice: fail(ErrorKind::Syntax, "slice outside of a subscript");
    case ExprKind::Call: return eval_call(e);
    case ExprKind::Filter: {
      Value operand = eval(*e.args[0]);
      Args args = eval_args(e, 1);
      current_ = &e;
      if (!e.fn) fail(ErrorKind::Type, "filter '" + e.name + "' is not supported by this engine");
      return static_cast<const FilterEntry*>(e.fn)->fn(*this, operand, args);
    }
    case ExprKind::Test: {
      Value operand = eval(*e.args[0]);
      Args args = eval_args(e, 1);
      current_ = &e;
      if (!e.fn) fail(ErrorKind::Type, "test '" + e.name + "' is not supported by this engine");
      return Value(static_cast<const TestEntry*>(e.fn)->fn(*this, operand, args));
    }
    case ExprKind::Unary: {
      Value v = eval(*e.args[0]);
      current_ = &e;
      if (e.op == "not") return Value(!v.truthy());
      if (v.is_undefined()) fail_undefined(v);
      if (!v.is_number())
        fail(ErrorKind::Type, "bad operand type for unary " + e.op + ": '" + v.type_name() + "'");
      if (e.op == "+") return v.is_bool() ? Value(v.to_int()) : v;
      if (v.is_float()) return Value(-v.as_float());
      checked(v.to_int() == INT64_MIN, 0);
      return Value(-v.to_int());
    }
    case ExprKind::Binary: return eval_binary(e);
    case ExprKind::And: {
      Value l = eval(*e.args[0]);
      return l.truthy() ? eval(*e.args[1]) : l;
    }
    case ExprKind::Or: {
      Value l = eval(*e.args[0]);
      return l.truthy() ? l : eval(*e.args[1]);
    }
    case ExprKind::Compare: return eval_compare(e);
    case ExprKind::CondExpr: {
      if (eval(*e.args[1]).truthy()) return eval(*e.args[0]);
      if (e.args[2]) return eval(*e.args[2]);
      return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                              " evaluated to false and no else section was defined.");
    }
    case ExprKind::NsRef: fail(ErrorKind::Syntax, "namespace reference outside of an assignment");
  }
  TFM_UNREACHABLE();
}

Value Renderer::eval_compare(const Expr& e) {
  Value left = eval(*e.args[0]);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    Value right = eval(*e.args[i + 1]);
    current_ = &e;
    const std::string& op = e.ops[i];
    bool r;
    if (op == "==") {
      r = equals(left, right);
    } else if (op == "!=") {
      r = !equals(left, right);
    } else if (op == "in" || op == "notin") {
      r = contains(right, left);
      if (op == "notin") r = !r;
    } else {
      int c = compare(left, right, op.c_str());
      r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
    }
    if (!r) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

Value Renderer::eval_binary(const Expr& e) {
  Value a = eval(*e.args[0]);
  Value b = eval(*e.args[1]);
  current_ = &e;
  const std::string& op = e.op;
  if (op == "~") {
    std::string s = a.str();
    std::string t = b.str();
    check_size(s.size() + t.size());
    return Value(s + t);
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  auto unsupported = [&]() -> Value {
    if (op == "+" && a.is_string())
      fail(ErrorKind::Type, "can only concatenate str (not \"" + b.type_name() + "\") to str");
    if (op == "+" && a.is_list() && b.is_list())
      fail(ErrorKind::Type, "can only concatenate " + a.type_name() + " (not \"" + b.type_name() +
                                "\") to " + a.type_name());
    fail(ErrorKind::Type, "unsupported operand type(s) for " + op + ": '" + a.type_name() +
                              "' and '" + b.type_name() + "'");
  };
  bool nums = a.is_number() && b.is_number();
  bool ints = nums && !a.is_float() && !b.is_float();
  if (op == "+") {
    if (ints) {
      int64_t r = 0;
      bool overflow = __builtin_add_overflow(a.to_int(), b.to_int(), &r);
      return Value(checked(overflow, r));
    }
    if (nums) return Value(a.to_double() + b.to_double());
    if (a.is_string() && b.is_string()) {
      check_size(a.as_string().size() + b.as_string().size());
      return Value(a.as_string() + b.as_string());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      check_size((a.as_list().items.size() + b.as_list().items.size()) * sizeof(Value));
      std::vector<Value> items = a.as_list().items;
      items.insert(items.end(), b.as_list().items.begin(), b.as_list().items.end());
      return a.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
    }
    return unsupported();
  }
  if (op == "-") {
    if (ints) {
      int64_t r = 0;
      bool overflow = __builtin_sub_overflow(a.to_int(), b.to_int(), &r);
      return Value(checked(overflow, r));
    }
    if (nums) return Value(a.to_double() - b.to_double());
    return unsupported();
  }
  if (op == "*") {
    if (ints) {
      int64_t r = 0;
      bool overflow = __builtin_mul_overflow(a.to_int(), b.to_int(), &r);
      return Value(checked(overflow, r));
    }
    if (nums) return Value(a.to_double() * b.to_double());
    const Value* seq = (a.is_string() || a.is_list()) ? &a : (b.is_string() || b.is_list()) ? &b : nullptr;
    const Value* count = seq == &a ? &b : &a;
    if (seq && (count->is_int() || count->is_bool())) {
      int64_t n = std::max<int64_t>(0, count->to_int());
      if (seq->is_string()) {
        const std::string& s = seq->as_string();
        if (n > 0 && !s.empty())
          check_size(s.size() *
                     static_cast<size_t>(std::min<int64_t>(n, limits_.max_output_bytes + 1)));
        std::string out;
        out.reserve(s.size() * static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) out += s;
        return Value(std::move(out));
      }
      const auto& items = seq->as_list().items;
      if (n > 0 && !items.empty())
        check_size(items.size() * sizeof(Value) *
                   static_cast<size_t>(std::min<int64_t>(n, limits_.max_output_bytes + 1)));
      std::vector<Value> out;
      for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
      return seq->is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
    }
    return unsupported();
  }
  if (op == "/") {
    if (!nums) return unsupported();
    if (b.to_double() == 0) fail(ErrorKind::Type, "division by zero");
    return Value(a.to_double() / b.to_double());
  }
  if (op == "//" || op == "%") {
    if (op == "%" && a.is_string()) return Value(percent_format(*this, a.as_string(), b));
    if (!nums) return unsupported();
    if (ints) {
      int64_t x = a.to_int(), y = b.to_int();
      if (y == 0) fail(ErrorKind::Type, "integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) checked(true, 0);
      int64_t q = x / y, r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) {
        q -= 1;
        r += y;
      }
      return Value(op == "//" ? q : r);
    }
    double x = a.to_double(), y = b.to_double();
    if (y == 0) fail(ErrorKind::Type, "float floor division by zero");
    double r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    if (op == "%") return Value(r);
    return Value(std::round((x - r) / y));
  }
  if (op == "**") {
    if (!nums) return unsupported();
    if (ints && b.to_int() >= 0) {
      int64_t base = a.to_int(), exp = b.to_int(), r = 1;
      while (exp > 0) {
        if (exp & 1) checked(__builtin_mul_overflow(r, base, &r), 0);
        exp >>= 1;
        if (exp > 0) checked(__builtin_mul_overflow(base, base, &base), 0);
      }
      return Value(r);
    }
    if (a.to_double() == 0 && b.to_double() < 0)
      fail(ErrorKind::Type, "0.0 cannot be raised to a negative power");
    return Value(std::pow(a.to_double(), b.to_double()));
  }
  return unsupported();
}

}  // namespace transformers::templates
