// Index-driven ops: gather, tril/triu, sort and topk.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "transformers/core/autograd.h"
#include "transformers/core/cpu/element.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::ops {

// ---------------------------------------------------------------- gather

namespace {
// Calls fn(out_element_offset, index_element_offset, x_element_offset) for every element of
// index (row-major), where x's offset already includes index_value * x.stride(dim).
template <typename Fn>
void for_each_gathered(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out, Fn fn) {
  Shape xs = x.strides();
  const int64_t x_dim_stride = xs[size_t(dim)];
  xs[size_t(dim)] = 0;  // the index value picks the position along dim
  const Shape& is = index.strides();
  const Shape& os = out.strides();
  const int64_t xi = xs.back(), ii = is.back(), oi = os.back();
  const int64_t bound = x.size(dim);
  const std::byte* ibase = index.storage()->data();
  const size_t ies = dtype_size(index.dtype());
  std::array<const Shape*, 3> strides{&os, &is, &xs};
  cpu::for_each_row<3>(index.shape(), strides, {out.offset(), index.offset(), x.offset()},
                       [&](std::array<int64_t, 3> off, int64_t n) {
                         for (int64_t i = 0; i < n; ++i) {
                           const int64_t v = cpu::load_as<int64_t>(ibase + (off[1] + i * ii) * ies,
                                                                   index.dtype());
                           TFM_CHECK(v >= 0 && v < bound, "[gather] index ", v,
                                     " out of range for dim ", dim, " of size ", bound);
                           fn(off[0] + i * oi, off[1] + i * ii, off[2] + i * xi + v * x_dim_stride);
                         }
                       });
}
}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  TFM_CHECK(x.defined() && index.defined(), "[gather] undefined input");
  TFM_CHECK(x.dim() >= 1 && index.dim() == x.dim(), "[gather] index ", shape_str(index.shape()),
            " must have the rank of x ", shape_str(x.shape()));
  TFM_CHECK(!is_floating(index.dtype()) && index.dtype() != DType::Bool,
            "[gather] index must be an integer tensor, got ", dtype_name(index.dtype()));
  dim = wrap_dim(dim, x.dim(), "gather");
  for (int64_t d = 0; d < x.dim(); ++d)
    TFM_CHECK(d == dim || index.size(d) <= x.size(d), "[gather] index ", shape_str(index.shape()),
              " is larger than x ", shape_str(x.shape()), " in dim ", d);
  Tensor out = Tensor::empty(index.shape(), x.dtype());
  const size_t es = dtype_size(x.dtype());
  const std::byte* xb = x.storage()->data();
  std::byte* ob = out.storage()->data();
  for_each_gathered(x, dim, index, out, [&](int64_t o, int64_t, int64_t xo) {
    std::memcpy(ob + o * es, xb + xo * es, es);
  });
  if (autograd::needs_grad({x})) {
    Tensor idx = index.detach();
    Shape xshape = x.shape();
    autograd::record(out, "gather", {x}, [idx, xshape, dim](const Tensor& g) {
      // Scatter-add: positions gathered twice receive both gradients.
      Tensor gx = Tensor::zeros(xshape, g.dtype());
      Tensor gc = g.contiguous();
      const DType dt = g.dtype();
      const size_t es = dtype_size(dt);
      std::byte* dst = gx.storage()->data();
      const std::byte* src = gc.storage()->data();
      for_each_gathered(gx, dim, idx, gc, [&](int64_t o, int64_t, int64_t xo) {
        double v = cpu::load_as<double>(dst + xo * es, dt) + cpu::load_as<double>(src + o * es, dt);
        cpu::store_as<double>(dst + xo * es, dt, v);
      });
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

// ---------------------------------------------------------------- tril / triu

namespace {
// Keeps element (i, j) of the last two dims when keep(j - i) holds, zeroes the rest.
template <bool kLower>
Tensor triangle(const Tensor& x, int64_t diagonal) {
  const char* name = kLower ? "tril" : "triu";
  TFM_CHECK(x.defined() && x.dim() >= 2, "[", name, "] needs at least 2 dims, got ",
            shape_str(x.defined() ? x.shape() : Shape{}));
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  out.copy_(x);
  const int64_t rows = x.size(-2), cols = x.size(-1);
  const int64_t mats = rows > 0 && cols > 0 ? x.numel() / (rows * cols) : 0;
  const size_t es = dtype_size(x.dtype());
  std::byte* p = static_cast<std::byte*>(out.raw_data());
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < rows; ++i) {
      std::byte* row = p + size_t((m * rows + i) * cols) * es;
      // tril keeps j <= i + diagonal; triu keeps j >= i + diagonal.
      const int64_t edge = std::clamp<int64_t>(kLower ? i + diagonal + 1 : i + diagonal, 0, cols);
      if (kLower) std::memset(row + size_t(edge) * es, 0, size_t(cols - edge) * es);
      else std::memset(row, 0, size_t(edge) * es);
    }
  if (autograd::needs_grad({x})) {
    autograd::record(out, name, {x}, [diagonal](const Tensor& g) {
      return std::vector<Tensor>{triangle<kLower>(g, diagonal)};
    });
  }
  return out;
}
}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle<true>(x, diagonal); }
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle<false>(x, diagonal); }

// ---------------------------------------------------------------- sort / topk

namespace {
// Sorted order of each row of x along dim, as an Int64 tensor of x's shape (the first k entries
// of each row when k >= 0). NaN sorts above every number, as in PyTorch; equal keys keep their
// index order, so the result is a stable sort.
Tensor sorted_indices(const Tensor& x, int64_t dim, bool descending, int64_t k) {
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != dim) perm.push_back(i);
  perm.push_back(dim);
  Tensor rows = x.permute(perm).contiguous();
  const int64_t n = x.size(dim), outer = n ? x.numel() / n : 0;
  const int64_t keep = k >= 0 ? k : n;
  Shape moved;
  for (int64_t p : perm) moved.push_back(x.size(p));
  moved.back() = keep;
  Tensor idx = Tensor::empty(moved, DType::Int64);
  int64_t* pi = idx.data<int64_t>();
  auto run = [&]<typename K>() {
    std::vector<K> key(static_cast<size_t>(n));
    std::vector<int64_t> order(static_cast<size_t>(n));
    const std::byte* base = static_cast<const std::byte*>(rows.raw_data());
    const size_t es = dtype_size(x.dtype());
    for (int64_t r = 0; r < outer; ++r) {
      for (int64_t j = 0; j < n; ++j) key[size_t(j)] = cpu::load_as<K>(base + size_t(r * n + j) * es, x.dtype());
      std::iota(order.begin(), order.end(), 0);
      auto before = [&](int64_t a, int64_t b) {
        const K ka = key[size_t(a)], kb = key[size_t(b)];
        bool a_nan = false, b_nan = false;
        if constexpr (std::is_floating_point_v<K>) a_nan = std::isnan(ka), b_nan = std::isnan(kb);
        if (a_nan || b_nan) {
          if (a_nan && b_nan) return a < b;
          return descending ? a_nan : b_nan;
        }
        if (ka != kb) return descending ? ka > kb : ka < kb;
        return a < b;
      };
      if (keep < n) std::partial_sort(order.begin(), order.begin() + keep, order.end(), before);
      else std::sort(order.begin(), order.end(), before);
      std::copy(order.begin(), order.begin() + keep, pi + r * keep);
    }
  };
  if (is_floating(x.dtype())) run.template operator()<double>();
  else run.template operator()<int64_t>();
  std::vector<int64_t> inverse(size_t(x.dim()));
  for (size_t i = 0; i < perm.size(); ++i) inverse[size_t(perm[i])] = int64_t(i);
  return idx.permute(inverse).contiguous();
}
}  // namespace

TopK sort(const Tensor& x, int64_t dim, bool descending) {
  TFM_CHECK(x.defined() && x.dim() >= 1, "[sort] needs at least one dim");
  dim = wrap_dim(dim, x.dim(), "sort");
  Tensor idx = sorted_indices(x, dim, descending, -1);
  return {gather(x, dim, idx), idx};
}

TopK topk(const Tensor& x, int64_t k, int64_t dim) {
  TFM_CHECK(x.defined() && x.dim() >= 1, "[topk] needs at least one dim");
  dim = wrap_dim(dim, x.dim(), "topk");
  TFM_CHECK(k >= 0 && k <= x.size(dim), "[topk] k = ", k, " out of range for dim ", dim,
            " of size ", x.size(dim));
  Tensor idx = sorted_indices(x, dim, /*descending=*/true, k);
  return {gather(x, dim, idx), idx};
}

}  // namespace transformers::ops
