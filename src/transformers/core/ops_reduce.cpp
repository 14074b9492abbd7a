// Reductions along one dimension, softmax and log_softmax, cumsum.
#include <cmath>
#include <limits>

#include "transformers/core/autograd.h"
#include "transformers/core/cpu/element.h"
#include "transformers/core/cpu/pool.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::ops {

namespace {

// x with `dim` moved last, as a contiguous [outer, n] buffer in compute type (f64 or f32 data
// materialised as f64 for exact-enough accumulation of small reductions).
struct Rows {
  Tensor data;  // contiguous, dtype f32 or f64, [outer, n]
  int64_t outer = 1, n = 1;
  Shape out_shape_keep;  // shape with dim kept as size 1
  Shape out_shape;       // shape without dim
};

Rows to_rows(const Tensor& x, int64_t dim, DType compute) {
  Rows r;
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != dim) perm.push_back(i);
  perm.push_back(dim);
  r.data = x.permute(perm).to(compute).contiguous();
  r.n = x.size(dim);
  r.outer = r.n ? x.numel() / r.n : 0;
  if (r.n == 0) {
    r.outer = 1;
    for (int64_t i = 0; i < x.dim(); ++i)
      if (i != dim) r.outer *= x.size(i);
  }
  r.out_shape_keep = x.shape();
  r.out_shape_keep[dim] = 1;
  r.out_shape = x.shape();
  r.out_shape.erase(r.out_shape.begin() + dim);
  return r;
}

DType compute_type(DType dt) { return dt == DType::Float64 ? DType::Float64 : DType::Float32; }

enum class Reduce { Sum, Mean, Max, Min, Var, ArgMax };

Tensor reduce(const Tensor& x, int64_t dim, bool keepdim, Reduce kind, int64_t correction = 0) {
  TFM_CHECK(x.defined(), "[reduce] undefined input");
  Tensor src = x.dim() == 0 ? x.reshape({1}) : x;
  dim = wrap_dim(dim, src.dim(), "reduce");
  const bool integral_sum = !is_floating(x.dtype()) && kind == Reduce::Sum;
  DType compute = integral_sum ? DType::Float64 : compute_type(x.dtype());
  Rows r = to_rows(src, dim, compute);
  TFM_CHECK(r.n > 0 || kind == Reduce::Sum || kind == Reduce::Mean, "[reduce] empty dimension ", dim);
  DType out_dtype = kind == Reduce::ArgMax ? DType::Int64 : (integral_sum ? DType::Int64 : compute);
  Tensor out = Tensor::empty(r.out_shape, out_dtype);
  auto run = [&]<typename T>() {
    const T* in = r.data.data<T>();
    for (int64_t o = 0; o < r.outer; ++o) {
      const T* row = in + o * r.n;
      double result = 0;
      switch (kind) {
        case Reduce::Sum:
        case Reduce::Mean: {
          double s = 0;
          for (int64_t i = 0; i < r.n; ++i) s += row[i];
          result = kind == Reduce::Mean ? s / double(r.n) : s;
          break;
        }
        case Reduce::Max:
        case Reduce::Min: {
          T best = row[0];
          for (int64_t i = 1; i < r.n; ++i) {
            if (std::isnan(best)) break;
            if (std::isnan(row[i]) || (kind == Reduce::Max ? row[i] > best : row[i] < best)) best = row[i];
          }
          result = best;
          break;
        }
        case Reduce::Var: {
          double m = 0;
          for (int64_t i = 0; i < r.n; ++i) m += row[i];
          m /= double(r.n);
          double s = 0;
          for (int64_t i = 0; i < r.n; ++i) s += (row[i] - m) * (row[i] - m);
          result = s / double(std::max<int64_t>(r.n - correction, 0));
          break;
        }
        case Reduce::ArgMax: {
          int64_t best = 0;
          for (int64_t i = 1; i < r.n; ++i) {
            if (std::isnan(row[best])) break;
            if (std::isnan(row[i]) || row[i] > row[best]) best = i;
          }
          result = double(best);
          break;
        }
      }
      cpu::store_as<double>(static_cast<std::byte*>(out.raw_data()) + o * dtype_size(out_dtype),
                            out_dtype, result);
    }
  };
  if (compute == DType::Float64) run.template operator()<double>();
  else run.template operator()<float>();
  if (kind != Reduce::ArgMax && is_floating(x.dtype())) out = out.to(x.dtype());
  if (keepdim) out = out.reshape(r.out_shape_keep);
  if (x.dim() == 0 && !keepdim) out = out.reshape({});
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, int64_t dim, bool keepdim) {
  Tensor out = reduce(x, dim, keepdim, Reduce::Sum);
  if (autograd::needs_grad({x})) {
    Shape shape = x.shape();
    int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1), "sum");
    autograd::record(out, "sum", {x}, [shape, d, keepdim](const Tensor& g) {
      Tensor gk = keepdim || shape.empty() ? g : g.unsqueeze(d);
      return std::vector<Tensor>{gk.expand(shape).contiguous()};
    });
  }
  return out;
}

Tensor sum(const Tensor& x) {
  Tensor flat = x.reshape({x.numel()});
  return sum(flat, 0, false);
}

Tensor mean(const Tensor& x, int64_t dim, bool keepdim) {
  int64_t d = wrap_dim(dim, std::max<int64_t>(x.dim(), 1), "mean");
  int64_t n = x.dim() ? x.size(d) : 1;
  return div(sum(x, dim, keepdim), double(n));
}

Tensor mean(const Tensor& x) { return div(sum(x), double(x.numel())); }

Tensor max(const Tensor& x, int64_t dim, bool keepdim) { return reduce(x, dim, keepdim, Reduce::Max); }
Tensor min(const Tensor& x, int64_t dim, bool keepdim) { return reduce(x, dim, keepdim, Reduce::Min); }
Tensor var(const Tensor& x, int64_t dim, bool keepdim, int64_t correction) {
  return reduce(x, dim, keepdim, Reduce::Var, correction);
}
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce(x, dim, keepdim, Reduce::ArgMax);
}

Tensor sum_to_shape(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  Tensor out = x;
  while (out.dim() > int64_t(shape.size())) out = sum(out, 0, false);
  for (int64_t i = 0; i < int64_t(shape.size()); ++i)
    if (shape[i] == 1 && out.size(i) != 1) out = sum(out, i, true);
  TFM_CHECK(out.shape() == shape, "[sum_to_shape] cannot reduce ", shape_str(x.shape()), " to ",
            shape_str(shape));
  return out;
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "cumsum");
  const bool integral = !is_floating(x.dtype());
  DType compute = integral ? DType::Float64 : compute_type(x.dtype());
  Rows r = to_rows(x, dim, compute);
  Tensor rows = Tensor::empty({r.outer, r.n}, compute);
  auto run = [&]<typename T>() {
    const T* in = r.data.data<T>();
    T* o = rows.data<T>();
    for (int64_t i = 0; i < r.outer; ++i) {
      T acc = 0;
      for (int64_t j = 0; j < r.n; ++j) o[i * r.n + j] = acc += in[i * r.n + j];
    }
  };
  if (compute == DType::Float64) run.template operator()<double>();
  else run.template operator()<float>();
  // Back to x's layout: rows are x with dim moved last.
  Shape moved = r.out_shape;
  moved.push_back(r.n);
  std::vector<int64_t> inverse(size_t(x.dim()));
  for (int64_t i = 0, j = 0; i < x.dim(); ++i)
    if (i != dim) inverse[i] = j++;
  inverse[dim] = x.dim() - 1;
  Tensor out = rows.view(moved).permute(inverse).contiguous();
  return out.to(integral ? DType::Int64 : x.dtype());
}

// ---------------------------------------------------------------- softmax

namespace {
template <bool kLog>
Tensor softmax_impl(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), kLog ? "log_softmax" : "softmax");
  const bool last = dim == x.dim() - 1 && x.is_contiguous() && x.dtype() == DType::Float32;
  DType compute = compute_type(x.dtype());
  Rows r;
  Tensor rows;
  if (last) {
    r.n = x.size(-1);
    r.outer = r.n ? x.numel() / r.n : 0;
    rows = x;
  } else {
    r = to_rows(x, dim, compute);
    rows = r.data;
  }
  Tensor out_rows = Tensor::empty({r.outer, r.n}, compute);
  auto run = [&]<typename T>() {
    const T* in = rows.data<T>();
    T* o = out_rows.data<T>();
auto range = [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const T* row = in + i * r.n;
        T* orow = o + i * r.n;
        T m = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < r.n; ++j) m = std::max(m, row[j]);
        T s = 0;
        for (int64_t j = 0; j < r.n; ++j) {
          T e = std::exp(row[j] - m);
          if constexpr (!kLog) orow[j] = e;
          s += e;
        }
        if constexpr (kLog) {
          T ls = std::log(s);
          for (int64_t j = 0; j < r.n; ++j) orow[j] = row[j] - m - ls;
        } else {
          T inv = T(1) / s;
          for (int64_t j = 0; j < r.n; ++j) orow[j] *= inv;
        }
      }
    };
    cpu::parallel_for(r.outer, r.outer * r.n > (1 << 15) ? cpu::grain_for(r.outer, 1) : r.outer, range);
  };
  if (compute == DType::Float64) run.template operator()<double>();
  else run.template operator()<float>();
  Tensor out;
  if (last) {
    out = out_rows.view(x.shape());
  } else {
    Shape moved = r.out_shape;
    moved.push_back(r.n);
    std::vector<int64_t> inverse(size_t(x.dim()));
    for (int64_t i = 0, j = 0; i < x.dim(); ++i)
      if (i != dim) inverse[i] = j++;
    inverse[dim] = x.dim() - 1;
    out = out_rows.view(moved).permute(inverse).contiguous();
  }
  out = out.to(x.dtype());
  if (autograd::needs_grad({x})) {
    Tensor y = out.detach();
    autograd::record(out, kLog ? "log_softmax" : "softmax", {x}, [y, dim](const Tensor& g) {
      if constexpr (kLog) {
        return std::vector<Tensor>{sub(g, mul(exp(y), sum(g, dim, true)))};
      } else {
        return std::vector<Tensor>{mul(y, sub(g, sum(mul(g, y), dim, true)))};
      }
    });
  }
  return out;
}
}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl<false>(x, dim); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl<true>(x, dim); }

}  // namespace transformers::ops
