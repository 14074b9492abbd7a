#pragma once
// Autograd data structures: a tape of Nodes recorded by ops when grad mode is on and an input
// requires grad. NoGradGuard (inference) makes recording cost one thread-local check per op.
// Derivatives live next to the ops that record them (see Note [Autograd recording] in ops.h).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transformers/core/tensor.h"

namespace transformers::autograd {

// Given d(loss)/d(output), returns d(loss)/d(input) for each recorded input, in order; an
// undefined Tensor where an input gets no gradient.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string op;              // for error messages: "[backward of matmul] ..."
  std::vector<Tensor> inputs;  // the op's tensor inputs, in argument order
  BackwardFn backward;
};

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;                     // accumulated on leaves
  std::shared_ptr<Node> grad_fn;   // set on op outputs
};

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// Scoped inference mode: no op records while a guard is alive on this thread.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and one of the inputs requires grad.
bool needs_grad(const std::vector<Tensor>& inputs);

// Attaches a node to `output` (which then requires grad). Call only when needs_grad(inputs).
void record(Tensor& output, std::string op, std::vector<Tensor> inputs, BackwardFn backward);

// Runs the backward pass from `root`; grad_output defaults to ones for a one-element root.
void backward(const Tensor& root, const Tensor& grad_output);

}  // namespace transformers::autograd
