// Fused transformer ops: rms_norm, layer_norm, rotary embedding, scaled-dot-product attention.
// Each has a composed definition built from other ops; it is used when autograd needs a graph
// and is the reference the fused kernels are tested against.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "transformers/core/autograd.h"
#include "transformers/core/cpu/element.h"
#include "transformers/core/cpu/pool.h"
#include "transformers/core/cpu/vec.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::ops {

// ---------------------------------------------------------------- norms

namespace {
Tensor rms_norm_composed(const Tensor& x, const Tensor& weight, double eps, double weight_offset) {
  Tensor h = x.to(x.dtype() == DType::Float64 ? DType::Float64 : DType::Float32);
  Tensor variance = mean(mul(h, h), -1, true);
  h = mul(h, rsqrt(add(variance, eps)));
  if (weight.defined()) h = mul(h, weight_offset != 0.0 ? add(weight, weight_offset) : weight);
  return h.to(x.dtype());
}

Tensor layer_norm_composed(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  Tensor h = x.to(x.dtype() == DType::Float64 ? DType::Float64 : DType::Float32);
  Tensor centered = sub(h, mean(h, -1, true));
  Tensor variance = mean(mul(centered, centered), -1, true);
  h = mul(centered, rsqrt(add(variance, eps)));
  if (weight.defined()) h = mul(h, weight);
  if (bias.defined()) h = add(h, bias);
  return h.to(x.dtype());
}

void check_norm_param(const Tensor& p, const Tensor& x, const char* op, const char* name) {
  if (!p.defined()) return;
  TFM_CHECK(p.dim() == 1 && p.size(0) == x.size(-1), "[", op, "] ", name, " ", shape_str(p.shape()),
            " does not match the last dim of ", shape_str(x.shape()));
}

// Rows of a contiguous f32 view of x's last dimension.
struct NormRows {
  Tensor in, out;
  int64_t rows, n;
};
NormRows norm_rows(const Tensor& x) {
  NormRows r;
  r.in = x.to(DType::Float32).contiguous();
  r.n = x.size(-1);
  r.rows = r.n ? x.numel() / r.n : 0;
  r.out = Tensor::empty(x.shape(), DType::Float32);
  return r;
}
// Note [Sums of squares, several rows at once]
// RMSNorm's sum of squares runs left to right in f32 (ss += x * x, each product and each sum
// rounded), which makes each row one chain of dependent additions: an add's latency per element.
// kNormRowGroup rows go through one loop, each in its own accumulator and in the same order, so
// that the chains overlap and every row's sum is bit for bit the one-row loop's.
constexpr int64_t kNormRowGroup = 8;
void sums_of_squares(const float* rows, int64_t n, int64_t count, float* ss) {
  if (count == kNormRowGroup) {
    float acc[kNormRowGroup] = {};
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = 0; k < kNormRowGroup; ++k) acc[k] += rows[k * n + j] * rows[k * n + j];
    for (int64_t k = 0; k < kNormRowGroup; ++k) ss[k] = acc[k];
    return;
  }
  for (int64_t k = 0; k < count; ++k) {
    const float* row = rows + k * n;
    float acc = 0.0f;
    for (int64_t j = 0; j < n; ++j) acc += row[j] * row[j];
    ss[k] = acc;
  }
}

std::vector<float> param_values(const Tensor& p, int64_t n, double offset, double absent) {
  if (!p.defined()) return std::vector<float>(size_t(n), float(absent));
  std::vector<float> v = p.to_vector<float>();
  // Gemma computes (1 + w) in f32.
  for (float& f : v) f = float(offset) + f;
  return v;
}
}  // namespace

Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps, double weight_offset) {
  TFM_CHECK(x.dim() >= 1, "[rms_norm] input must have at least one dim");
  check_norm_param(weight, x, "rms_norm", "weight");
  if (autograd::needs_grad({x, weight}) || x.dtype() == DType::Float64)
    return rms_norm_composed(x, weight, eps, weight_offset);
  NormRows r = norm_rows(x);
  std::vector<float> w = param_values(weight, r.n, weight_offset, 1.0);
  const float* in = r.in.data<float>();
  float* out = r.out.data<float>();
  auto range = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i += kNormRowGroup) {
      const int64_t rows = std::min<int64_t>(kNormRowGroup, i1 - i);
      float ss[kNormRowGroup];
      sums_of_squares(in + i * r.n, r.n, rows, ss);
      for (int64_t k = 0; k < rows; ++k) {
        const float* row = in + (i + k) * r.n;
        float* orow = out + (i + k) * r.n;
        const float scale = 1.0f / std::sqrt(ss[k] / float(r.n) + float(eps));
        for (int64_t j = 0; j < r.n; ++j) orow[j] = w[j] * (row[j] * scale);
      }
    }
  };
  cpu::parallel_for(r.rows, r.rows * r.n > (1 << 15) ? cpu::grain_for(r.rows, 1) : r.rows, range);
  return r.out.to(x.dtype());
}

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  TFM_CHECK(x.dim() >= 1, "[layer_norm] input must have at least one dim");
  check_norm_param(weight, x, "layer_norm", "weight");
  check_norm_param(bias, x, "layer_norm", "bias");
  if (autograd::needs_grad({x, weight, bias}) || x.dtype() == DType::Float64)
    return layer_norm_composed(x, weight, bias, eps);
  NormRows r = norm_rows(x);
  std::vector<float> w = param_values(weight, r.n, 0.0, 1.0), b = param_values(bias, r.n, 0.0, 0.0);
  const float* in = r.in.data<float>();
  float* out = r.out.data<float>();
  auto range = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float* row = in + i * r.n;
      float* orow = out + i * r.n;
      double mean_acc = 0.0;
      for (int64_t j = 0; j < r.n; ++j) mean_acc += row[j];
      const float mu = float(mean_acc / double(r.n));
      double var_acc = 0.0;
      for (int64_t j = 0; j < r.n; ++j) var_acc += double(row[j] - mu) * double(row[j] - mu);
      const float rstd = 1.0f / std::sqrt(float(var_acc / double(r.n)) + float(eps));
      for (int64_t j = 0; j < r.n; ++j) orow[j] = (row[j] - mu) * rstd * w[j] + b[j];
    }
  };
  cpu::parallel_for(r.rows, r.rows * r.n > (1 << 15) ? cpu::grain_for(r.rows, 1) : r.rows, range);
  return r.out.to(x.dtype());
}

// ---------------------------------------------------------------- rotary

namespace {
Tensor rotate_half(const Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return cat({neg(x.narrow(-1, half, half)), x.narrow(-1, 0, half)}, -1);
}

Tensor apply_rotary_composed(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  const int64_t rot = cos.size(-1), d = x.size(-1);
  Tensor c = cos.unsqueeze(1), s = sin.unsqueeze(1);
  Tensor x_rot = rot == d ? x : x.narrow(-1, 0, rot);
  Tensor out = add(mul(x_rot, c), mul(rotate_half(x_rot), s));
  if (rot == d) return out;
  return cat({out, x.narrow(-1, rot, d - rot)}, -1);
}
}  // namespace

Tensor apply_rotary(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  TFM_CHECK(x.dim() == 4, "[apply_rotary] x must be [batch, heads, seq, head_dim], got ",
            shape_str(x.shape()));
  TFM_CHECK(cos.dim() == 3 && cos.shape() == sin.shape() && cos.size(0) == x.size(0) &&
                cos.size(1) == x.size(2) && cos.size(2) <= x.size(3) && cos.size(2) % 2 == 0,
            "[apply_rotary] cos/sin ", shape_str(cos.shape()), " do not fit x ", shape_str(x.shape()));
  if (autograd::needs_grad({x, cos, sin}) || x.dtype() != DType::Float32)
    return apply_rotary_composed(x, cos, sin);
  const int64_t B = x.size(0), H = x.size(1), L = x.size(2), D = x.size(3), R = cos.size(2), half = R / 2;
  // x is read through its strides when its rows are contiguous: q/k straight from their
  // projection are [batch, seq, heads, head_dim] transposed to heads first.
  Tensor xc = x.stride(3) == 1 ? x : x.contiguous();
  const int64_t xs0 = xc.stride(0), xs1 = xc.stride(1), xs2 = xc.stride(2);
  Tensor c = cos.to(DType::Float32).contiguous(), s = sin.to(DType::Float32).contiguous();
  Tensor out = Tensor::empty(x.shape(), DType::Float32);
  const float *px = xc.data<float>(), *pc = c.data<float>(), *ps = s.data<float>();
  float* po = out.data<float>();
  auto range = [&](int64_t r0, int64_t r1) {
    for (int64_t bhl = r0; bhl < r1; ++bhl) {
      const int64_t l = bhl % L, h = (bhl / L) % H, b = bhl / (H * L);
      const float* xr = px + b * xs0 + h * xs1 + l * xs2;
      float* orow = po + bhl * D;
      const float* cr = pc + (b * L + l) * R;
      const float* sr = ps + (b * L + l) * R;
      for (int64_t i = 0; i < half; ++i) {
        orow[i] = xr[i] * cr[i] - xr[i + half] * sr[i];
        orow[i + half] = xr[i + half] * cr[i + half] + xr[i] * sr[i + half];
      }
      for (int64_t i = R; i < D; ++i) orow[i] = xr[i];
    }
  };
  const int64_t total = B * H * L;
  cpu::parallel_for(total, total * D > (1 << 15) ? cpu::grain_for(total, 1) : total, range);
  return out;
}

// ---------------------------------------------------------------- attention

namespace {
void check_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  TFM_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
            "[attention] q, k, v must be [batch, heads, seq, head_dim], got ", shape_str(q.shape()),
            ", ", shape_str(k.shape()), ", ", shape_str(v.shape()));
  TFM_CHECK(k.shape() == v.shape() || (k.size(0) == v.size(0) && k.size(1) == v.size(1) &&
                                       k.size(2) == v.size(2)),
            "[attention] k ", shape_str(k.shape()), " and v ", shape_str(v.shape()), " differ");
  TFM_CHECK(q.size(0) == k.size(0) && q.size(3) == k.size(3), "[attention] q ", shape_str(q.shape()),
            " does not match k ", shape_str(k.shape()));
  TFM_CHECK(k.size(1) > 0 && q.size(1) % k.size(1) == 0, "[attention] ", q.size(1),
            " query heads are not a multiple of ", k.size(1), " key/value heads");
  if (o.key_padding_mask.defined())
    TFM_CHECK(o.key_padding_mask.dim() == 2 && o.key_padding_mask.size(0) == q.size(0) &&
                  o.key_padding_mask.size(1) == k.size(2),
              "[attention] key_padding_mask ", shape_str(o.key_padding_mask.shape()), " must be [",
              q.size(0), ", ", k.size(2), "]");
}

// The composed definition (differentiable): materialises the score matrix.
Tensor attention_composed(const Tensor& q, const Tensor& k0, const Tensor& v0, const AttentionOptions& o) {
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2), KVH = k0.size(1), S = k0.size(2);
  const int64_t groups = H / KVH;
  // repeat_kv: [B, KVH, S, D] -> [B, H, S, D]
  auto repeat = [&](const Tensor& t) {
    if (groups == 1) return t;
    Shape e = {B, KVH, groups, S, t.size(3)};
    return t.unsqueeze(2).expand(e).reshape({B, H, S, t.size(3)});
  };
  Tensor k = repeat(k0), v = repeat(v0);
  Tensor scores = mul(matmul(q, k.transpose(2, 3)), o.scale);  // [B, H, L, S]
  if (o.softcap > 0) scores = mul(tanh(div(scores, o.softcap)), o.softcap);
  // Visibility [B, 1, L, S] as a 0/1 mask.
  std::vector<float> visible(size_t(B * L * S), 1.0f);
  std::vector<int64_t> pad = o.key_padding_mask.defined() ? o.key_padding_mask.to_vector<int64_t>()
                                                          : std::vector<int64_t>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < S; ++j) {
        const int64_t pos = o.q_offset + i;
        bool ok = true;
        if (o.is_causal && j > pos) ok = false;
        if (o.sliding_window > 0 && j <= pos - o.sliding_window) ok = false;
        if (!pad.empty() && pad[b * S + j] == 0) ok = false;
        visible[(b * L + i) * S + j] = ok ? 1.0f : 0.0f;
      }
  Tensor vis = Tensor::from_vector(visible, {B, 1, L, S});
  const double lowest = std::numeric_limits<float>::lowest();
  Tensor mask = mul(sub(Tensor::ones({}, DType::Float32), vis), lowest);  // 0 or lowest
  if (o.additive_mask.defined()) scores = add(scores, o.additive_mask);
  scores = add(scores.to(DType::Float32), mask);
  Tensor probs = softmax(scores, -1).to(q.dtype());
  return matmul(probs, v);
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& o) {
  check_attention(q, k, v, o);
  if (autograd::needs_grad({q, k, v, o.additive_mask}) || q.dtype() == DType::Float64)
    return attention_composed(q, k, v, o);
  const int64_t B = q.size(0), H = q.size(1), L = q.size(2), D = q.size(3);
  const int64_t KVH = k.size(1), S = k.size(2), DV = v.size(3), groups = H / KVH;
  // K and V are read in place whenever their last dim is contiguous (a cache view is fine).
  auto rows_ready = [](const Tensor& t) {
    return t.dtype() == DType::Float32 && t.stride(3) == 1 ? t : t.to(DType::Float32).contiguous();
  };
  Tensor qf = rows_ready(q), kf = rows_ready(k), vf = rows_ready(v);
  std::vector<uint8_t> pad;
  if (o.key_padding_mask.defined()) {
    for (int64_t m : o.key_padding_mask.to_vector<int64_t>()) pad.push_back(m != 0);
  }
  // The additive mask is read through broadcast strides: nothing of size [B, H, L, S] is built.
  Tensor bias;
  Shape bs(4, 0);
  if (o.additive_mask.defined()) {
    bias = o.additive_mask.to(DType::Float32);
    bs = cpu::broadcast_strides(bias, {B, H, L, S});
  }
  Tensor out = Tensor::empty({B, H, L, DV}, DType::Float32);
  const float* pq = qf.data<float>();
  const float* pk = kf.data<float>();
  const float* pv = vf.data<float>();
  const float* pb = bias.defined() ? bias.data<float>() : nullptr;
  float* po = out.data<float>();
  const int64_t qs0 = qf.stride(0), qs1 = qf.stride(1), qs2 = qf.stride(2);
  const int64_t ks0 = kf.stride(0), ks1 = kf.stride(1), ks2 = kf.stride(2);
  const int64_t vs0 = vf.stride(0), vs1 = vf.stride(1), vs2 = vf.stride(2);
  const float scale = float(o.scale), softcap = float(o.softcap);
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const cpu::VecKernels vec = cpu::vec_kernels();
  // Note [Blocked attention for prefill]
  // Many queries (prefill): a work item is a block of up to 64 query rows of one head. Its
  // scores against the visible key range are one sgemm (scale folded into alpha), masked and
  // soft-maxed row by row in place, and multiplied by V with a second sgemm: the FLOPs run at
  // GEMM speed instead of one dot product per (query, key). Masking rules are the row kernel's.
  constexpr int64_t kQueryBlock = 64;
  if (L >= 8 && qs2 >= D && ks2 >= D && vs2 >= DV) {
    const int64_t qblocks = (L + kQueryBlock - 1) / kQueryBlock;
    auto blocks = [&](int64_t item_begin, int64_t item_end) {
      thread_local std::vector<float> scores_buf;
      for (int64_t item = item_begin; item < item_end; ++item) {
        const int64_t qb = item % qblocks, h = (item / qblocks) % H, b = item / (qblocks * H);
        const int64_t kvh = h / groups, i0 = qb * kQueryBlock, rows = std::min(kQueryBlock, L - i0);
        // Keys any row of the block may see: [klo, khi).
        const int64_t khi = o.is_causal ? std::clamp<int64_t>(o.q_offset + i0 + rows, 0, S) : S;
        const int64_t klo =
            o.sliding_window > 0
                ? std::clamp<int64_t>(o.q_offset + i0 - o.sliding_window + 1, 0, khi)
                : 0;
        const int64_t nk = khi - klo;
        float* orows = po + ((b * H + h) * L + i0) * DV;
        const float* kbase = pk + b * ks0 + kvh * ks1;
        const float* vbase = pv + b * vs0 + kvh * vs1;
        const uint8_t* prow = pad.empty() ? nullptr : pad.data() + b * S;
        if (scores_buf.size() < size_t(rows * std::max<int64_t>(nk, 1)))
          scores_buf.resize(size_t(rows * std::max<int64_t>(nk, 1)));
        float* sc = scores_buf.data();
        if (nk > 0)
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(nk), int(D), scale,
                      pq + b * qs0 + h * qs1 + i0 * qs2, int(qs2), kbase + klo * ks2, int(ks2), 0.0f, sc, int(nk));
        std::vector<int64_t> empty_rows;
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = i0 + r, pos = o.q_offset + i;
          const int64_t hi = o.is_causal ? std::clamp<int64_t>(pos + 1, 0, S) : S;
          const int64_t lo = o.sliding_window > 0 ? std::clamp<int64_t>(pos - o.sliding_window + 1, 0, hi) : 0;
          // Keys outside [lo, hi) get probability 0; the softmax runs over the visible span only,
          // vectorized (this per-score work costs as much as the two sgemm calls at head_dim 64).
          float* row = sc + r * nk;
          float* span = row + (lo - klo);
          const int64_t n = hi - lo;
          std::fill(row, span, 0.0f);
          std::fill(span + n, row + nk, 0.0f);
          if (softcap > 0 || pb || prow) {
            for (int64_t j = lo; j < hi; ++j) {
              float& v = row[j - klo];
              if (prow && !prow[j]) {
                v = neg_inf;
                continue;
              }
              if (softcap > 0) v = softcap * std::tanh(v / softcap);
              if (pb) v += pb[b * bs[0] + h * bs[1] + i * bs[2] + j * bs[3]];
            }
          }
          const float mx = vec.max(span, n);
          if (mx == neg_inf) {  // every key masked: uniform average over all keys, as the row kernel
            std::fill(span, span + n, 0.0f);
            empty_rows.push_back(r);
            continue;
          }
          for (int64_t j = 0; j < n; ++j) span[j] -= mx;  // masked keys stay -inf -> exp 0
          vec.exp(span, span, n);
          const float inv = 1.0f / vec.sum(span, n);
          for (int64_t j = 0; j < n; ++j) span[j] *= inv;
        }
        if (nk > 0)
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(rows), int(DV), int(nk), 1.0f, sc, int(nk),
                      vbase + klo * vs2, int(vs2), 0.0f, orows, int(DV));
        else
          std::fill(orows, orows + rows * DV, 0.0f);
        for (int64_t r : empty_rows) {
          float* acc = orows + r * DV;
          std::fill(acc, acc + DV, 0.0f);
          for (int64_t j = 0; j < S; ++j) vec.axpy(1.0f / float(S), vbase + j * vs2, acc, DV);
        }
      }
    };
    cpu::parallel_for(B * H * qblocks, 1, blocks);
    return out.to(q.dtype());
  }
  // One work item = one query position and one KV head with its `groups` query heads: each K
  // and V row is loaded once for the whole group (GQA shares it; nothing is copied).
  auto items = [&](int64_t item_begin, int64_t item_end) {
    // Per-thread scratch, kept across calls: decoding calls this once per layer and token.
    thread_local std::vector<float> scores_buf, acc_buf, group_buf;
    thread_local std::vector<const float*> qrow_buf;
    if (scores_buf.size() < size_t(groups * S)) scores_buf.resize(size_t(groups * S));
    if (acc_buf.size() < size_t(groups * DV)) acc_buf.resize(size_t(groups * DV));
    if (group_buf.size() < size_t(2 * groups)) group_buf.resize(size_t(2 * groups));
    if (qrow_buf.size() < size_t(groups)) qrow_buf.resize(size_t(groups));
    for (int64_t item = item_begin; item < item_end; ++item) {
      const int64_t i = item % L, kvh = (item / L) % KVH, b = item / (L * KVH);
      const float* kbase = pk + b * ks0 + kvh * ks1;
      const float* vbase = pv + b * vs0 + kvh * vs1;
      const uint8_t* prow = pad.empty() ? nullptr : pad.data() + b * S;
      const int64_t pos = o.q_offset + i;
      // Keys outside [lo, hi) are masked by causality or the sliding window.
      const int64_t hi = o.is_causal ? std::clamp<int64_t>(pos + 1, 0, S) : S;
      const int64_t lo = o.sliding_window > 0 ? std::clamp<int64_t>(pos - o.sliding_window + 1, 0, hi) : 0;
      bool any_visible = false;
      for (int64_t j = lo; j < hi && !any_visible; ++j) any_visible = !prow || prow[j];
      float* acc = acc_buf.data();
      std::fill(acc, acc + groups * DV, 0.0f);
      if (!any_visible) {
        // Every key masked: HF's scores are all equal (the minimum), so the softmax is uniform.
        for (int64_t j = 0; j < S; ++j)
          for (int64_t g = 0; g < groups; ++g) vec.axpy(1.0f / float(S), vbase + j * vs2, acc + g * DV, DV);
      } else {
        // Scores; masked ones are -inf here. HF adds the dtype minimum instead, which gives
        // the same probabilities (exactly 0) once one key is visible.
        float* mx = group_buf.data();
        float* dots = mx + groups;
        const float** qrows = qrow_buf.data();
        std::fill(mx, mx + groups, neg_inf);
        for (int64_t g = 0; g < groups; ++g) qrows[g] = pq + b * qs0 + (kvh * groups + g) * qs1 + i * qs2;
        for (int64_t j = lo; j < hi; ++j) {
          if (prow && !prow[j]) {
            for (int64_t g = 0; g < groups; ++g) scores_buf[size_t(g * S + j)] = neg_inf;
            continue;
          }
          vec.dot_many(qrows, groups, kbase + j * ks2, D, dots);
          for (int64_t g = 0; g < groups; ++g) {
            const int64_t h = kvh * groups + g;
            float v = dots[g] * scale;
            if (softcap > 0) v = softcap * std::tanh(v / softcap);
            if (pb) v += pb[b * bs[0] + h * bs[1] + i * bs[2] + j * bs[3]];
            scores_buf[size_t(g * S + j)] = v;
            mx[g] = std::max(mx[g], v);
          }
        }
        for (int64_t g = 0; g < groups; ++g) {
          float* sc = scores_buf.data() + g * S;
          for (int64_t j = lo; j < hi; ++j) sc[j] -= mx[g];  // masked keys stay -inf -> exp 0
          vec.exp(sc + lo, sc + lo, hi - lo);
          float sum = 0.0f;
          for (int64_t j = lo; j < hi; ++j) sum += sc[j];
          const float inv = 1.0f / sum;
          for (int64_t j = lo; j < hi; ++j) sc[j] *= inv;
        }
        for (int64_t j = lo; j < hi; ++j) {
          const float* vrow = vbase + j * vs2;
          for (int64_t g = 0; g < groups; ++g) {
            const float p = scores_buf[size_t(g * S + j)];
            if (p != 0.0f) vec.axpy(p, vrow, acc + g * DV, DV);
          }
        }
      }
      for (int64_t g = 0; g < groups; ++g)
        std::copy(acc + g * DV, acc + (g + 1) * DV, po + ((b * H + kvh * groups + g) * L + i) * DV);
    }
  };
  // Work below ~64k multiply-adds is not worth waking the pool for.
  const int64_t work_items = B * KVH * L, per_item = std::max<int64_t>(groups * S * (D + DV), 1);
  cpu::parallel_for(work_items, std::max<int64_t>(1, (int64_t(1) << 16) / per_item), items);
  return out.to(q.dtype());
}

}  // namespace transformers::ops
