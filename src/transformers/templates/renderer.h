#pragma once
// Renderer: evaluates a parsed template against a context, writing the output. One Renderer
// renders once; it holds the scopes, the limits and the spans of {% generation %} blocks.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "transformers/templates/ast.h"
#include "transformers/templates/value.h"

namespace transformers::templates {

// Limits that stop a hostile template; exceeding one raises TemplateError(Limit).
struct RenderLimits {
  int max_call_depth = 256;              // nested macro calls and recursive loops
  int64_t max_steps = 1'000'000;         // loop iterations plus macro calls, all together
  size_t max_output_bytes = 64u << 20;   // the output, and any one string or list built on the way
};

// A scope: template top level, one loop iteration, a macro call, a with/block body.
struct Frame {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Frame> parent;
};

class Renderer {
 public:
  // `context` holds the caller's variables; `globals` the built-in functions (may be shared
  // between renders: it is only read).
  Renderer(const DictData& context, const DictData& globals, const RenderLimits& limits);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Renders `body` and returns the output; generation_spans() then holds the byte ranges of
  // {% generation %} blocks in it.
  std::string render(const Body& body);
  const std::vector<std::pair<size_t, size_t>>& generation_spans() const { return spans_; }

  // ---- used by filters, tests, methods and globals ----
  Value eval(const Expr& e);
  Value call(const Value& callee, Args& args);
  // Jinja's environment.getattr (x.name) and getitem (x[key]) with its undefined rules.
  Value getattr(const Value& obj, const std::string& name);
  Value getitem(const Value& obj, const Value& key);
  // Fails with TemplateError(Limit) when a string or list of `bytes` would pass the output limit.
  void check_size(size_t bytes) const;
  void count_step();
  const RenderLimits& limits() const { return limits_; }

  // Calls a macro (from Macro objects); renders into a fresh buffer and returns it.
  Value call_macro(const Stmt& def, const std::shared_ptr<Frame>& closure, Args& args,
                   const Value& caller);
  // Renders one more level of a `recursive` for loop (loop(items)).
  Value call_loop(const Stmt& def, const std::shared_ptr<Frame>& closure, const Value& items,
                  int depth);

 private:
  enum class Flow { Normal, Break, Continue };

  Flow exec_body(const Body& body);
  Flow exec(const Stmt& s);
  void exec_for(const Stmt& s, const Value& iterable, int depth);
  void assign(const Expr& target, Value value);
  std::string capture(const Body& body, const std::shared_ptr<Frame>& frame);
  Value apply_filters(const std::vector<ExprPtr>& filters, Value value);
  Value lookup(const std::string& name) const;
  Args eval_args(const Expr& e, size_t first);
  Value eval_call(const Expr& e);
  Value eval_binary(const Expr& e);
  Value eval_compare(const Expr& e);
  void write(const std::string& s);
  std::shared_ptr<Frame> new_frame(std::shared_ptr<Frame> parent);

  const DictData& globals_;
  RenderLimits limits_;
  std::vector<std::weak_ptr<Frame>> frames_;  // every scope made, emptied at the end (Note [Scope cycles])
  std::shared_ptr<Frame> frame_;
  std::string* out_ = nullptr;
  std::string root_out_;
  int depth_ = 0;
  int64_t steps_ = 0;
  std::vector<std::pair<size_t, size_t>> spans_;
  const Expr* current_ = nullptr;  // innermost node being evaluated, for error locations
  const Stmt* current_stmt_ = nullptr;
};

}  // namespace transformers::templates
