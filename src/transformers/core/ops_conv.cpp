// Convolutions (im2col + BLAS GEMM) and group_norm.
#include <cblas.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::ops {

// ---------------------------------------------------------------- group_norm

namespace {
Tensor group_norm_composed(const Tensor& x, int64_t G, const Tensor& weight, const Tensor& bias,
                           double eps) {
  Tensor h = x.to(x.dtype() == DType::Float64 ? DType::Float64 : DType::Float32);
  const int64_t N = x.size(0), C = x.size(1);
  Tensor g = h.reshape({N, G, -1});
  Tensor centered = sub(g, mean(g, -1, true));
  Tensor variance = mean(mul(centered, centered), -1, true);
  h = mul(centered, rsqrt(add(variance, eps))).reshape(x.shape());
  Shape param_shape(size_t(x.dim()), 1);
  param_shape[1] = C;  // [1, C, 1, ...] broadcasts over batch and spatial dims
  if (weight.defined()) h = mul(h, weight.reshape(param_shape));
  if (bias.defined()) h = add(h, bias.reshape(param_shape));
  return h.to(x.dtype());
}
}  // namespace

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  TFM_CHECK(x.defined() && x.dim() >= 2, "[group_norm] x must be [N, C, *]");
  const int64_t N = x.size(0), C = x.size(1);
  TFM_CHECK(num_groups > 0 && C % num_groups == 0, "[group_norm] ", C,
            " channels cannot be split into ", num_groups, " groups");
  for (const Tensor* p : {&weight, &bias})
    TFM_CHECK(!p->defined() || (p->dim() == 1 && p->size(0) == C), "[group_norm] weight/bias ",
              shape_str(p->defined() ? p->shape() : Shape{}), " must be [", C, "]");
  if (autograd::needs_grad({x, weight, bias}) || x.dtype() == DType::Float64)
    return group_norm_composed(x, num_groups, weight, bias, eps);
  Tensor in = x.to(DType::Float32).contiguous();
  Tensor out = Tensor::empty(x.shape(), DType::Float32);
  const int64_t per_channel = C ? x.numel() / (N * C) : 0, cg = C / num_groups;
  const int64_t block = cg * per_channel;
  std::vector<float> w = weight.defined() ? weight.to_vector<float>() : std::vector<float>(size_t(C), 1.0f);
  std::vector<float> b = bias.defined() ? bias.to_vector<float>() : std::vector<float>(size_t(C), 0.0f);
  const float* pi = in.data<float>();
  float* po = out.data<float>();
#pragma omp parallel for collapse(2) if (x.numel() > (1 << 15)) schedule(static)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t g = 0; g < num_groups; ++g) {
      const float* src = pi + (n * num_groups + g) * block;
      float* dst = po + (n * num_groups + g) * block;
      double s = 0;
      for (int64_t i = 0; i < block; ++i) s += src[i];
      const float mu = float(s / double(block));
      double v = 0;
      for (int64_t i = 0; i < block; ++i) v += double(src[i] - mu) * double(src[i] - mu);
      const float rstd = 1.0f / std::sqrt(float(v / double(block)) + float(eps));
      for (int64_t c = 0; c < cg; ++c) {
        const int64_t ch = g * cg + c;
        const float scale = rstd * w[size_t(ch)], shift = b[size_t(ch)] - mu * scale;
        for (int64_t i = 0; i < per_channel; ++i)
          dst[c * per_channel + i] = src[c * per_channel + i] * scale + shift;
      }
    }
  return out.to(x.dtype());
}

// ---------------------------------------------------------------- convolution

namespace {
struct ConvGeometry {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, ph, pw, dh, dw, groups;
};

// col [C/groups * KH * KW, OH * OW] for one image and one group (zero where the kernel reads
// padding). T is float or double.
template <typename T>
void im2col(const T* x, const ConvGeometry& g, int64_t c0, T* col) {
  const int64_t cg = g.C / g.groups, ohw = g.OH * g.OW;
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t ki = 0; ki < g.KH; ++ki)
      for (int64_t kj = 0; kj < g.KW; ++kj) {
        T* dst = col + ((c * g.KH + ki) * g.KW + kj) * ohw;
        const T* plane = x + (c0 + c) * g.H * g.W;
        for (int64_t oy = 0; oy < g.OH; ++oy) {
          const int64_t iy = oy * g.sh - g.ph + ki * g.dh;
          T* drow = dst + oy * g.OW;
          if (iy < 0 || iy >= g.H) {
            std::memset(drow, 0, size_t(g.OW) * sizeof(T));
            continue;
          }
          const T* srow = plane + iy * g.W;
          for (int64_t ox = 0; ox < g.OW; ++ox) {
            const int64_t ix = ox * g.sw - g.pw + kj * g.dw;
            drow[ox] = (ix >= 0 && ix < g.W) ? srow[ix] : T(0);
          }
        }
      }
}

inline void gemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a, int(k),
              b, int(n), 0.0f, c, int(n));
}
inline void gemm(int64_t m, int64_t n, int64_t k, const double* a, const double* b, double* c) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0, a, int(k),
              b, int(n), 0.0, c, int(n));
}

template <typename T>
void conv_kernel(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeometry& g,
                 const Tensor& out) {
  const T* px = x.data<T>();
  const T* pw = w.data<T>();
  const T* pb = bias.defined() ? bias.data<T>() : nullptr;
  T* po = out.data<T>();
  const int64_t cg = g.C / g.groups, og = g.O / g.groups, ohw = g.OH * g.OW;
  const int64_t kdim = cg * g.KH * g.KW;
  // A 1x1 kernel with unit stride and no padding reads the input planes as they are.
  const bool direct = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
  std::vector<T> col(direct ? 0 : size_t(kdim * ohw));
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const T* xn = px + n * g.C * g.H * g.W;
      const T* b;
      if (direct) {
        b = xn + grp * cg * g.H * g.W;
      } else {
        im2col(xn, g, grp * cg, col.data());
        b = col.data();
      }
      T* dst = po + (n * g.O + grp * og) * ohw;
      gemm(og, ohw, kdim, pw + grp * og * kdim, b, dst);
      if (pb)
        for (int64_t o = 0; o < og; ++o)
          for (int64_t i = 0; i < ohw; ++i) dst[o * ohw + i] += pb[grp * og + o];
    }
}

// x [N, C, H, W], w [O, C / groups, KH, KW] -> [N, O, OH, OW]
Tensor conv_nd(const char* name, const Tensor& x, const Tensor& w, const Tensor& bias,
               ConvGeometry g) {
  TFM_CHECK(g.groups > 0, "[", name, "] groups must be positive, got ", g.groups);
  TFM_CHECK(g.sh > 0 && g.sw > 0 && g.dh > 0 && g.dw > 0 && g.ph >= 0 && g.pw >= 0, "[", name,
            "] stride and dilation must be positive and padding non-negative");
  TFM_CHECK(g.C % g.groups == 0 && g.O % g.groups == 0, "[", name, "] ", g.C, " input and ", g.O,
            " output channels must be divisible by groups = ", g.groups);
  TFM_CHECK(w.size(1) == g.C / g.groups, "[", name, "] weight ", shape_str(w.shape()), " expects ",
            w.size(1) * g.groups, " input channels, x has ", g.C);
  TFM_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == g.O), "[", name, "] bias ",
            shape_str(bias.defined() ? bias.shape() : Shape{}), " must be [", g.O, "]");
  TFM_CHECK(is_floating(x.dtype()) && is_floating(w.dtype()), "[", name, "] needs floating inputs");
  g.OH = (g.H + 2 * g.ph - g.dh * (g.KH - 1) - 1) / g.sh + 1;
  g.OW = (g.W + 2 * g.pw - g.dw * (g.KW - 1) - 1) / g.sw + 1;
  TFM_CHECK(g.H + 2 * g.ph >= g.dh * (g.KH - 1) + 1 && g.W + 2 * g.pw >= g.dw * (g.KW - 1) + 1,
            "[", name, "] input ", shape_str(x.shape()), " (padded) is smaller than the kernel ",
            shape_str(w.shape()));
  const DType dt = promote_types(x.dtype(), w.dtype());
  const DType compute = dt == DType::Float64 ? DType::Float64 : DType::Float32;
  Tensor xc = x.to(compute).contiguous(), wc = w.to(compute).contiguous();
  Tensor bc = bias.defined() ? bias.to(compute).contiguous() : Tensor();
  Tensor out = Tensor::empty({g.N, g.O, g.OH, g.OW}, compute);
  if (compute == DType::Float64) conv_kernel<double>(xc, wc, bc, g, out);
  else conv_kernel<float>(xc, wc, bc, g, out);
  out = out.to(dt);
  // The backward pass comes with the training work; until then reaching it is a clear error.
  if (autograd::needs_grad({x, w, bias})) autograd::record(out, name, {x, w, bias}, nullptr);
  return out;
}
}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
              int64_t padding, int64_t dilation, int64_t groups) {
  TFM_CHECK(x.defined() && weight.defined() && x.dim() == 3 && weight.dim() == 3,
            "[conv1d] x must be [N, C_in, L] and weight [C_out, C_in / groups, K], got ",
            shape_str(x.defined() ? x.shape() : Shape{}), " and ",
            shape_str(weight.defined() ? weight.shape() : Shape{}));
  ConvGeometry g{x.size(0), x.size(1), 1, x.size(2), weight.size(0), 1, weight.size(2), 0, 0,
                 1, stride, 0, padding, 1, dilation, groups};
  Tensor out = conv_nd("conv1d", x.detach().unsqueeze(2), weight.detach().unsqueeze(2),
                       bias.defined() ? bias.detach() : bias, g);
  out = out.squeeze(2);
  if (autograd::needs_grad({x, weight, bias})) autograd::record(out, "conv1d", {x, weight, bias}, nullptr);
  return out;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
              int64_t padding, int64_t dilation, int64_t groups) {
  TFM_CHECK(x.defined() && weight.defined() && x.dim() == 4 && weight.dim() == 4,
            "[conv2d] x must be [N, C_in, H, W] and weight [C_out, C_in / groups, KH, KW], got ",
            shape_str(x.defined() ? x.shape() : Shape{}), " and ",
            shape_str(weight.defined() ? weight.shape() : Shape{}));
  ConvGeometry g{x.size(0), x.size(1), x.size(2), x.size(3), weight.size(0), weight.size(2),
                 weight.size(3), 0, 0, stride, stride, padding, padding, dilation, dilation, groups};
  return conv_nd("conv2d", x, weight, bias, g);
}

}  // namespace transformers::ops
