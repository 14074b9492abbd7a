#pragma once
// The op set. Ops are free functions that validate, promote dtypes, infer shapes and (when
// grad mode needs it) record autograd; kernels in core/cpu/ only compute.
//
// Note [Compute precision]
// Floating ops on f16/bf16 inputs compute in f32 and round the result back to the input dtype,
// as PyTorch's CPU kernels do for most ops; f64 computes in f64. Matmul/linear with f16/bf16
// weights accumulate in f32.
//
// Note [Autograd recording]
// An op records a Node only when autograd::needs_grad(inputs) is true; the derivative is the
// lambda passed to autograd::record next to the forward code. Ops without a derivative yet throw
// "[backward] <op> has no derivative" when a backward pass reaches them.
#include <cstdint>
#include <optional>
#include <vector>

#include "transformers/core/tensor.h"

namespace transformers::ops {

// ---- elementwise, broadcasting (PyTorch rules) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Tensor-scalar forms keep the tensor's dtype (PyTorch's scalar promotion for floats).
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor pow(const Tensor& a, double exponent);

// Comparisons return Bool.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
// cond ? a : b, broadcasting all three.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// ---- unary ----
enum class UnaryOp {
  Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sin, Cos, Tanh, Erf, Sigmoid, Square, Reciprocal,
  // Activations, by Hugging Face's ACT2FN names: see activation_from_name.
  Relu, Gelu /* exact, erf */, GeluTanh /* gelu_new, gelu_pytorch_tanh */, Silu, QuickGelu,
  Softplus, Mish, Relu2 /* relu squared */, GeluFast, Identity,
};
Tensor unary(UnaryOp op, const Tensor& x);
inline Tensor neg(const Tensor& x) { return unary(UnaryOp::Neg, x); }
inline Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x); }
inline Tensor log(const Tensor& x) { return unary(UnaryOp::Log, x); }
inline Tensor sqrt(const Tensor& x) { return unary(UnaryOp::Sqrt, x); }
inline Tensor rsqrt(const Tensor& x) { return unary(UnaryOp::Rsqrt, x); }
inline Tensor abs(const Tensor& x) { return unary(UnaryOp::Abs, x); }
inline Tensor sin(const Tensor& x) { return unary(UnaryOp::Sin, x); }
inline Tensor cos(const Tensor& x) { return unary(UnaryOp::Cos, x); }
inline Tensor tanh(const Tensor& x) { return unary(UnaryOp::Tanh, x); }
inline Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::Sigmoid, x); }
inline Tensor relu(const Tensor& x) { return unary(UnaryOp::Relu, x); }
inline Tensor gelu(const Tensor& x) { return unary(UnaryOp::Gelu, x); }
inline Tensor gelu_tanh(const Tensor& x) { return unary(UnaryOp::GeluTanh, x); }
inline Tensor silu(const Tensor& x) { return unary(UnaryOp::Silu, x); }
// Hugging Face activation names (ACT2FN): "silu"/"swish", "gelu", "gelu_new",
// "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "relu2", "tanh", "sigmoid", "mish",
// "linear"/"identity". Throws "[activation] unknown hidden_act 'x'" otherwise.
UnaryOp activation_from_name(const std::string& name);

// ---- reductions (dim may be negative; keepdim keeps it as size 1) ----
Tensor sum(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor sum(const Tensor& x);  // all elements -> 0-d
Tensor mean(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor min(const Tensor& x, int64_t dim, bool keepdim = false);
// Population variance by default (correction = 0), like torch.var(unbiased=False).
Tensor var(const Tensor& x, int64_t dim, bool keepdim = false, int64_t correction = 0);
// Index of the first maximum along dim (Int64).
// Sums a broadcast result back to `shape` (the gradient of broadcasting).
Tensor sum_to_shape(const Tensor& x, const Shape& shape);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor cumsum(const Tensor& x, int64_t dim);

struct TopK {
  Tensor values;
  Tensor indices;  // Int64
};
// Largest k along dim, sorted descending (ties: lower index first).
TopK topk(const Tensor& x, int64_t k, int64_t dim = -1);
// Stable sort along dim.
TopK sort(const Tensor& x, int64_t dim = -1, bool descending = false);

// ---- linear algebra ----
// Batched matmul with broadcasting over leading dims: [..., n, k] x [..., k, m] -> [..., n, m].
Tensor matmul(const Tensor& a, const Tensor& b);
// x [..., in] * weight [out, in]^T (+ bias [out]) -> [..., out]. Weight may be f32, f16 or bf16
// (accumulated in f32); the output has x's dtype.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- normalization and softmax ----
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// Over the last dim: (x - mean) / sqrt(var + eps) * weight + bias (weight/bias optional).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);
// Over the last dim, in f32: x * rsqrt(mean(x^2) + eps) * (weight_offset + weight).
// weight_offset is 1 for Gemma's (1 + w) norm, else 0.
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps, double weight_offset = 0.0);
// x [N, C, *]: groups of C / num_groups channels normalised together.
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps);

// ---- indexing and shape ----
// weight [num, dim] gathered by ids (any integer dtype, any shape) -> [*ids.shape, dim].
Tensor embedding(const Tensor& weight, const Tensor& ids);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
// Pieces of split_size along dim (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim);
std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// torch.gather: out[i][j] = x[i][index[i][j]] along dim.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);

// ---- transformer building blocks ----
// Rotary position embedding, rotate-half layout (Hugging Face's apply_rotary_pos_emb):
// x [batch, heads, seq, head_dim]; cos, sin [batch, seq, rotary_dim] with rotary_dim <= head_dim
// (partial rotary: the remaining dims pass through).
Tensor apply_rotary(const Tensor& x, const Tensor& cos, const Tensor& sin);

struct AttentionOptions {
  double scale = 1.0;          // multiplies q·k
  bool is_causal = false;      // query i (at position q_offset + i) sees keys <= its position
  int64_t q_offset = 0;        // position of the first query among the keys (cache length)
  // Keys with attention_mask[b, key] == 0 are masked; [batch, kv_len], any numeric dtype.
  Tensor key_padding_mask;
  // Optional additive mask broadcastable to [batch, heads, q_len, kv_len] (e.g. relative bias).
  Tensor additive_mask;
  // > 0: query at position p sees keys in (p - sliding_window, p] (Mistral / Gemma2 semantics).
  int64_t sliding_window = 0;
  // > 0: scores = softcap * tanh(scores / softcap) before masking (Gemma2).
  double softcap = 0.0;
};
// q [batch, heads, q_len, head_dim]; k, v [batch, kv_heads, kv_len, head_dim] with
// heads % kv_heads == 0 (GQA/MQA read the shared K/V head, nothing is copied).
// Masked scores get the dtype's lowest value added, as Hugging Face's eager attention does; a
// query whose keys are all masked gets a uniform average. Returns [batch, heads, q_len, head_dim].
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options);

// x [N, C_in, L], weight [C_out, C_in / groups, K], bias [C_out] or undefined.
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride = 1,
              int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);
// x [N, C_in, H, W], weight [C_out, C_in / groups, KH, KW].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride = 1,
              int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);

// ---- operators ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, double b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace transformers::ops

namespace transformers {
using ops::operator+;
using ops::operator-;
using ops::operator*;
using ops::operator/;
}  // namespace transformers
