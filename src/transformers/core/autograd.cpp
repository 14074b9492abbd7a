#include "transformers/core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::autograd {

namespace {
thread_local bool grad_enabled = true;
}

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

void record(Tensor& output, std::string op, std::vector<Tensor> inputs, BackwardFn backward) {
  auto node = std::make_shared<Node>();
  node->op = std::move(op);
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  auto& meta = output.impl()->autograd;
  if (!meta) meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->grad_fn = std::move(node);
}

namespace {
Tensor accumulate(const Tensor& a, const Tensor& b) { return a.defined() ? ops::add(a, b) : b; }
}  // namespace

void backward(const Tensor& root, const Tensor& grad_output) {
  TFM_CHECK(root.requires_grad(), "[backward] tensor does not require grad");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    TFM_CHECK(root.numel() == 1, "[backward] grad_output is needed for a non-scalar root of shape ",
              shape_str(root.shape()));
    seed = Tensor::ones(root.shape(), root.dtype());
  }
  NoGradGuard no_grad;  // the backward pass itself records nothing
  if (!root.grad_fn()) {
    root.set_grad(accumulate(root.grad(), seed));
    return;
  }
  // Topological order of nodes reachable from the root (iterative DFS, post-order).
  std::vector<Node*> order;
  std::unordered_set<Node*> visited;
  std::vector<std::pair<Node*, size_t>> stack{{root.grad_fn().get(), 0}};
  visited.insert(root.grad_fn().get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      Node* child = in.defined() ? in.grad_fn().get() : nullptr;
      if (child && visited.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  std::unordered_map<Node*, Tensor> grads;
  grads[root.grad_fn().get()] = seed;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    Tensor g = grads[node];
    grads.erase(node);
    if (!g.defined()) continue;
    TFM_CHECK(node->backward != nullptr, "[backward] ", node->op, " has no derivative");
    std::vector<Tensor> input_grads = node->backward(g);
    TFM_CHECK(input_grads.size() == node->inputs.size(), "[backward of ", node->op, "] returned ",
              input_grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (size_t i = 0; i < input_grads.size(); ++i) {
      const Tensor& in = node->inputs[i];
      if (!in.defined() || !in.requires_grad() || !input_grads[i].defined()) continue;
      if (Node* child = in.grad_fn().get()) {
        grads[child] = accumulate(grads[child], input_grads[i]);
      } else {
        in.set_grad(accumulate(in.grad(), input_grads[i]));
      }
    }
  }
}

}  // namespace transformers::autograd
