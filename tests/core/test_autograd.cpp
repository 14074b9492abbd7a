// Every recorded derivative against central finite differences in f64. The loss is
// sum(f(inputs) * R) with a fixed random R, so every output element's gradient is exercised.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"

using namespace transformers;

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradOptions {
  double eps = 1e-6;
  double atol = 1e-7;
  double rtol = 1e-5;
};

double loss_value(const Fn& f, const std::vector<Tensor>& inputs, const Tensor& r) {
  autograd::NoGradGuard guard;
  return ops::sum(ops::mul(f(inputs), r)).item<double>();
}

// Checks d(loss)/d(inputs[i]) for every floating input.
void check_grad(const std::string& name, const Fn& f, std::vector<Tensor> inputs, GradOptions opt = {}) {
  Generator gen(1234);
  std::vector<Tensor> leaves;
  for (const Tensor& t : inputs) {
    Tensor leaf = t.contiguous().clone();
    if (is_floating(leaf.dtype())) leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  Tensor out = f(leaves);
  ASSERT_TRUE(out.requires_grad()) << name;
  Tensor r = ops::randn(out.shape(), gen, DType::Float64).to(out.dtype());
  ops::sum(ops::mul(out, r)).backward();
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (!is_floating(leaves[i].dtype())) continue;
    Tensor grad = leaves[i].grad();
    ASSERT_TRUE(grad.defined()) << name << ": input " << i << " got no gradient";
    ASSERT_EQ(grad.shape(), leaves[i].shape()) << name << ": input " << i;
    std::vector<double> analytic = grad.to_vector<double>();
    std::vector<Tensor> probe;
    for (const Tensor& t : leaves) probe.push_back(t.detach().clone());
    double* p = probe[i].data<double>();
    for (int64_t e = 0; e < probe[i].numel(); ++e) {
      const double saved = p[e];
      p[e] = saved + opt.eps;
      const double up = loss_value(f, probe, r);
      p[e] = saved - opt.eps;
      const double down = loss_value(f, probe, r);
      p[e] = saved;
      const double numeric = (up - down) / (2 * opt.eps);
      ASSERT_NEAR(analytic[size_t(e)], numeric, opt.atol + opt.rtol * std::abs(numeric))
          << name << ": input " << i << " element " << e;
    }
  }
}

Tensor rnd(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  Generator g(seed);
  Tensor t = Tensor::empty(s, DType::Float64);
  ops::uniform_(t, lo, hi, g);
  return t;
}
}  // namespace

TEST(GradTest, BroadcastingArithmetic) {
  Tensor a = rnd({2, 3}, 1), b = rnd({3}, 2, 0.5, 2), c = rnd({2, 1}, 3, 0.5, 2);
  check_grad("add", [](auto& v) { return ops::add(v[0], v[1]); }, {a, b});
  check_grad("sub", [](auto& v) { return ops::sub(v[0], v[1]); }, {a, c});
  check_grad("mul", [](auto& v) { return ops::mul(v[0], v[1]); }, {a, c});
  check_grad("div", [](auto& v) { return ops::div(v[0], v[1]); }, {a, b});
  check_grad(
      "scalar ops",
      [](auto& v) { return ops::div(ops::sub(ops::mul(ops::add(v[0], 2.0), 3.0), 1.0), 4.0); },
      {a});
  check_grad("pow", [](auto& v) { return ops::pow(v[0], 2.5); }, {rnd({5}, 4, 0.5, 2)});
  check_grad("pow int", [](auto& v) { return ops::pow(v[0], 3.0); }, {a});
}

TEST(GradTest, UnaryOps) {
  using U = ops::UnaryOp;
  Tensor any = rnd({7}, 5, -2, 2), pos = rnd({7}, 6, 0.3, 3);
  // Relu's kink at 0 is avoided by keeping inputs away from it.
  Tensor away = Tensor::from_vector(std::vector<double>{-1.5, -0.7, -0.2, 0.3, 0.9, 1.7, 2.5}, {7});
  for (U op : {U::Neg, U::Exp, U::Sin, U::Cos, U::Tanh, U::Sigmoid, U::Square, U::Identity, U::Silu,
               U::Gelu, U::GeluTanh})
    check_grad("unary " + std::to_string(int(op)), [op](auto& v) { return ops::unary(op, v[0]); }, {any});
  for (U op : {U::Log, U::Sqrt, U::Rsqrt, U::Reciprocal})
    check_grad("unary " + std::to_string(int(op)), [op](auto& v) { return ops::unary(op, v[0]); }, {pos});
  check_grad("relu", [](auto& v) { return ops::relu(v[0]); }, {away});
}

TEST(GradTest, SoftmaxAndLogSoftmax) {
  Tensor x = rnd({3, 4}, 7, -2, 2);
  for (int64_t dim : {0, 1, -1}) {
    check_grad("softmax", [dim](auto& v) { return ops::softmax(v[0], dim); }, {x});
    check_grad("log_softmax", [dim](auto& v) { return ops::log_softmax(v[0], dim); }, {x});
  }
}

TEST(GradTest, MatmulAndLinear) {
  check_grad("matmul 2d", [](auto& v) { return ops::matmul(v[0], v[1]); }, {rnd({3, 4}, 8), rnd({4, 2}, 9)});
  // Batched with a broadcast batch dim on the right operand.
  check_grad("matmul batched", [](auto& v) { return ops::matmul(v[0], v[1]); },
             {rnd({2, 3, 4}, 10), rnd({1, 4, 5}, 11)});
  check_grad("matmul transposed", [](auto& v) { return ops::matmul(v[0], v[1].transpose(0, 1)); },
             {rnd({3, 4}, 12), rnd({5, 4}, 13)});
  check_grad("linear", [](auto& v) { return ops::linear(v[0], v[1], v[2]); },
             {rnd({2, 3, 4}, 14), rnd({5, 4}, 15), rnd({5}, 16)});
}

TEST(GradTest, Reductions) {
  Tensor x = rnd({2, 3, 4}, 17);
  check_grad("sum dim", [](auto& v) { return ops::sum(v[0], 1); }, {x});
  check_grad("sum keepdim", [](auto& v) { return ops::sum(v[0], -1, true); }, {x});
  check_grad("sum all", [](auto& v) { return ops::sum(v[0]); }, {x});
  check_grad("mean dim", [](auto& v) { return ops::mean(v[0], 0); }, {x});
  check_grad("mean all", [](auto& v) { return ops::mean(v[0]); }, {x});
}

TEST(GradTest, IndexingAndShapes) {
  Tensor x = rnd({3, 4}, 18);
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{2, 0, 2, 1}, {2, 2});  // row 2 twice
  check_grad("embedding", [ids](auto& v) { return ops::embedding(v[0], ids); }, {x});
  check_grad("cat", [](auto& v) { return ops::cat({v[0], v[1]}, 1); }, {x, rnd({3, 2}, 19)});
  check_grad("stack", [](auto& v) { return ops::stack({v[0], v[1]}, 0); }, {x, rnd({3, 4}, 20)});
  check_grad("slice step", [](auto& v) { return v[0].slice(1, 1, 4, 2); }, {x});
  check_grad("narrow+select", [](auto& v) { return v[0].narrow(0, 1, 2).select(1, 3); }, {x});
  check_grad("permute", [](auto& v) { return ops::mul(v[0].permute({2, 0, 1}), v[0].permute({2, 0, 1})); },
             {rnd({2, 3, 4}, 21)});
  check_grad(
      "view+reshape",
      [](auto& v) { return ops::mul(v[0].view({4, 3}), v[0].transpose(0, 1).reshape({4, 3})); },
      {x});
  check_grad("expand", [](auto& v) { return ops::mul(v[0].expand({2, 3, 4}), v[1]); },
             {rnd({3, 1}, 22), rnd({2, 3, 4}, 23)});
  check_grad("unsqueeze+squeeze", [](auto& v) { return ops::mul(v[0].unsqueeze(0).squeeze(0), 2.0); }, {x});
  Tensor cond = Tensor::from_vector(std::vector<int64_t>{1, 0, 0, 1}, {4}).to(DType::Bool);
  check_grad("where", [cond](auto& v) { return ops::where(cond, v[0], v[1]); }, {x, rnd({1, 4}, 24)});
  check_grad("index_select", [](auto& v) {
    return ops::index_select(v[0], 1, Tensor::from_vector(std::vector<int64_t>{3, 0, 3}, {3}));
  }, {x});
  check_grad("gather", [](auto& v) {
    return ops::gather(v[0], 1, Tensor::from_vector(std::vector<int64_t>{1, 1, 0, 3, 2, 2}, {3, 2}));
  }, {x});
  check_grad("sort values", [](auto& v) { return ops::sort(v[0], 1, true).values; }, {x});
  check_grad("tril", [](auto& v) { return ops::tril(v[0], 1); }, {x});
  check_grad("triu", [](auto& v) { return ops::triu(v[0], -1); }, {x});
  check_grad("to f32 and back", [](auto& v) { return ops::mul(v[0], v[0]).to(DType::Float32).to(DType::Float64); },
             {x}, {1e-3, 1e-5, 1e-4});
}

TEST(GradTest, NormsComposed) {
  Tensor x = rnd({3, 5}, 25, -2, 2), w = rnd({5}, 26), b = rnd({5}, 27);
  check_grad("rms_norm", [](auto& v) { return ops::rms_norm(v[0], v[1], 1e-6); }, {x, w});
  check_grad("rms_norm gemma", [](auto& v) { return ops::rms_norm(v[0], v[1], 1e-6, 1.0); }, {x, w});
  check_grad("layer_norm", [](auto& v) { return ops::layer_norm(v[0], v[1], v[2], 1e-5); }, {x, w, b});
  check_grad("group_norm", [](auto& v) { return ops::group_norm(v[0], 2, v[1], v[2], 1e-5); },
             {rnd({2, 4, 3}, 28, -2, 2), rnd({4}, 29), rnd({4}, 30)});
}

TEST(GradTest, RotaryComposed) {
  check_grad("rotary partial", [](auto& v) { return ops::apply_rotary(v[0], v[1], v[2]); },
             {rnd({1, 2, 3, 6}, 31), rnd({1, 3, 4}, 32), rnd({1, 3, 4}, 33)});
}

TEST(GradTest, AttentionComposed) {
  // The composed attention takes the softmax in f32 even for f64 inputs, as Hugging Face's eager
  // attention does (softmax(..., dtype=float32)); the differences use a wider step to see past
  // that rounding.
  GradOptions coarse{1e-3, 1e-4, 2e-3};
  auto run = [](bool causal, int64_t window, double softcap, bool padding) {
    return [=](const std::vector<Tensor>& v) {
      ops::AttentionOptions o;
      o.scale = 0.5;
      o.is_causal = causal;
      o.sliding_window = window;
      o.softcap = softcap;
      o.q_offset = 1;
      if (padding) o.key_padding_mask = Tensor::from_vector(std::vector<int64_t>{0, 1, 1, 1}, {1, 4});
      return ops::scaled_dot_product_attention(v[0], v[1], v[2], o);
    };
  };
  Tensor q = rnd({1, 4, 3, 5}, 34), k = rnd({1, 2, 4, 5}, 35), v = rnd({1, 2, 4, 5}, 36);  // GQA 4/2
  check_grad("attention causal gqa", run(true, 0, 0, false), {q, k, v}, coarse);
  check_grad("attention padding+window", run(true, 2, 0, true), {q, k, v}, coarse);
  check_grad("attention softcap", run(false, 0, 2.0, false), {q, k, v}, coarse);
}

TEST(GradTest, OpsWithoutDerivativeSayso) {
  Tensor x = rnd({1, 1, 5}, 37);
  x.set_requires_grad(true);
  Tensor y = ops::sum(ops::conv1d(x, Tensor::ones({1, 1, 2}, DType::Float64), Tensor()));
  try {
    y.backward();
    FAIL() << "conv1d backward should not exist yet";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv1d has no derivative"), std::string::npos) << e.what();
  }
}
