#pragma once
// The template's own object types: functions, macros, namespaces, the loop variable, cyclers,
// joiners and bound methods.
#include <memory>
#include <string>
#include <vector>

#include "transformers/templates/renderer.h"
#include "transformers/templates/value.h"

namespace transformers::templates {

class Function : public Object {
 public:
  using Fn = Value (*)(Renderer& r, Args& args);
  Function(const char* name, Fn fn) : name_(name), fn_(fn) {}
  const char* type_name() const override { return "builtin_function_or_method"; }
  bool callable() const override { return true; }
  Value call(Renderer& r, Args& args) override { return fn_(r, args); }
  std::string str() const override { return std::string("<built-in function ") + name_ + ">"; }

 private:
  const char* name_;
  Fn fn_;
};

class BoundMethod : public Object {
 public:
  BoundMethod(Value receiver, std::string name)
      : receiver_(std::move(receiver)), name_(std::move(name)) {}
  const char* type_name() const override { return "builtin_function_or_method"; }
  bool callable() const override { return true; }
  Value call(Renderer& r, Args& args) override;
  std::string str() const override {
    return "<built-in method " + name_ + " of " + receiver_.type_name() + " object>";
  }

 private:
  Value receiver_;
  std::string name_;
};

class Macro : public Object {
 public:
  Macro(const Stmt& def, std::shared_ptr<Frame> closure, Value caller = Value())
      : def_(def), closure_(std::move(closure)), caller_(std::move(caller)) {}
  const char* type_name() const override { return "Macro"; }
  bool callable() const override { return true; }
  Value call(Renderer& r, Args& args) override { return r.call_macro(def_, closure_, args, caller_); }
  Value getattr(const std::string& name) override;
  std::string str() const override { return "<Macro '" + def_.text + "'>"; }

 private:
  const Stmt& def_;
  std::shared_ptr<Frame> closure_;
  Value caller_;
};

class Namespace : public Object {
 public:
  const char* type_name() const override { return "Namespace"; }
  Value getattr(const std::string& name) override;
  bool setattr(const std::string& name, Value value) override;
  std::string str() const override;
  DictData attrs;
};

class LoopObject : public Object, public std::enable_shared_from_this<LoopObject> {
 public:
  LoopObject(std::vector<Value> items, int depth, const Stmt* recursive_def,
             std::shared_ptr<Frame> closure)
      : items(std::move(items)), depth(depth), def_(recursive_def), closure_(std::move(closure)) {}
  const char* type_name() const override { return "LoopContext"; }
  Value getattr(const std::string& name) override;
  bool callable() const override { return def_ != nullptr; }
  Value call(Renderer& r, Args& args) override;
  std::string str() const override;

  std::vector<Value> items;
  size_t index0 = 0;
  int depth;
  Value last_changed;
  bool changed_called = false;

 private:
  const Stmt* def_;
  std::shared_ptr<Frame> closure_;
};

class Cycler : public Object, public std::enable_shared_from_this<Cycler> {
 public:
  explicit Cycler(std::vector<Value> items) : items_(std::move(items)) {}
  const char* type_name() const override { return "Cycler"; }
  Value getattr(const std::string& name) override;
  Value next();
  void reset() { pos_ = 0; }

 private:
  std::vector<Value> items_;
  size_t pos_ = 0;
};

class Joiner : public Object {
 public:
  explicit Joiner(std::string sep) : sep_(std::move(sep)) {}
  const char* type_name() const override { return "Joiner"; }
  bool callable() const override { return true; }
  Value call(Renderer&, Args&) override {
    if (!used_) {
      used_ = true;
      return Value("");
    }
    return Value(sep_);
  }

 private:
  std::string sep_;
  bool used_ = false;
};

}  // namespace transformers::templates
