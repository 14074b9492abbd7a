// Joining, splitting and indexing: cat, stack, split, chunk, embedding, index_select.
#include <cstring>

#include "transformers/core/autograd.h"
#include "transformers/core/cpu/element.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::ops {

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  TFM_CHECK(!tensors.empty(), "[cat] needs at least one tensor");
  const Tensor& first = tensors[0];
  dim = wrap_dim(dim, first.dim(), "cat");
  DType dt = first.dtype();
  Shape shape = first.shape();
  shape[dim] = 0;
  for (const Tensor& t : tensors) {
    TFM_CHECK(t.dim() == first.dim(), "[cat] tensors must have the same rank: ",
              shape_str(first.shape()), " vs ", shape_str(t.shape()));
    for (int64_t d = 0; d < t.dim(); ++d)
      TFM_CHECK(d == dim || t.size(d) == first.size(d), "[cat] sizes differ outside dim ", dim, ": ",
                shape_str(first.shape()), " vs ", shape_str(t.shape()));
    shape[dim] += t.size(dim);
    dt = promote_types(dt, t.dtype());
  }
  Tensor out = Tensor::empty(shape, dt);
  int64_t at = 0;
  for (const Tensor& t : tensors) {
    if (t.size(dim) > 0) out.narrow(dim, at, t.size(dim)).copy_(t);
    at += t.size(dim);
  }
  if (autograd::needs_grad(tensors)) {
    std::vector<int64_t> sizes;
    for (const Tensor& t : tensors) sizes.push_back(t.size(dim));
    autograd::record(out, "cat", tensors, [sizes, dim](const Tensor& g) {
      return split_with_sizes(g, sizes, dim);
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  TFM_CHECK(!tensors.empty(), "[stack] needs at least one tensor");
  dim = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (const Tensor& t : tensors) {
    TFM_CHECK(t.shape() == tensors[0].shape(), "[stack] shapes differ: ", shape_str(tensors[0].shape()),
              " vs ", shape_str(t.shape()));
    expanded.push_back(t.unsqueeze(dim));
  }
  return cat(expanded, dim);
}

std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  TFM_CHECK(total == x.size(dim), "[split] sizes sum to ", total, " but dim ", dim, " has ", x.size(dim));
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(x.narrow(dim, at, s));
    at += s;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  TFM_CHECK(split_size > 0, "[split] split_size must be positive");
  dim = wrap_dim(dim, x.dim(), "split");
  std::vector<int64_t> sizes;
  for (int64_t at = 0; at < x.size(dim); at += split_size)
    sizes.push_back(std::min(split_size, x.size(dim) - at));
  return split_with_sizes(x, sizes, dim);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  TFM_CHECK(chunks > 0, "[chunk] chunks must be positive");
  dim = wrap_dim(dim, x.dim(), "chunk");
  int64_t size = (x.size(dim) + chunks - 1) / chunks;
  return split(x, std::max<int64_t>(size, 1), dim);
}

namespace {
std::vector<int64_t> index_values(const Tensor& ids, int64_t bound, const char* op) {
  TFM_CHECK(!is_floating(ids.dtype()), "[", op, "] indices must be integers, got ", dtype_name(ids.dtype()));
  std::vector<int64_t> v = ids.to_vector<int64_t>();
  for (int64_t& i : v) {
    int64_t orig = i;
    if (i < 0) i += bound;
    TFM_CHECK(i >= 0 && i < bound, "[", op, "] index ", orig, " out of range for size ", bound);
  }
  return v;
}
}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  TFM_CHECK(weight.dim() == 2, "[embedding] weight must be [num, dim], got ", shape_str(weight.shape()));
  std::vector<int64_t> rows = index_values(ids, weight.size(0), "embedding");
  Shape shape = ids.shape();
  shape.push_back(weight.size(1));
  const int64_t dim = weight.size(1);
  // f16/bf16 tables gather to f32: the model computes in f32 (Note [Compute precision]).
  DType out_dtype = weight.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  Tensor out = Tensor::empty(shape, out_dtype);
  Tensor out2 = out.view({int64_t(rows.size()), dim});
  for (size_t r = 0; r < rows.size(); ++r) out2.select(0, int64_t(r)).copy_(weight.select(0, rows[r]));
  if (autograd::needs_grad({weight})) {
    Shape wshape = weight.shape();
    autograd::record(out, "embedding", {weight}, [rows, wshape, dim](const Tensor& g) {
      Tensor gw = Tensor::zeros(wshape, g.dtype() == DType::Float64 ? DType::Float64 : DType::Float32);
      Tensor g2 = g.to(gw.dtype()).contiguous().view({int64_t(rows.size()), dim});
      if (gw.dtype() == DType::Float32) {
        float* dst = gw.data<float>();
        const float* src = g2.data<float>();
        for (size_t r = 0; r < rows.size(); ++r)
          for (int64_t j = 0; j < dim; ++j) dst[rows[r] * dim + j] += src[r * dim + j];
      } else {
        double* dst = gw.data<double>();
        const double* src = g2.data<double>();
        for (size_t r = 0; r < rows.size(); ++r)
          for (int64_t j = 0; j < dim; ++j) dst[rows[r] * dim + j] += src[r * dim + j];
      }
      return std::vector<Tensor>{gw};
    });
  }
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, x.dim(), "index_select");
  TFM_CHECK(index.dim() <= 1, "[index_select] index must be 0-d or 1-d");
  std::vector<int64_t> idx = index_values(index, x.size(dim), "index_select");
  Shape shape = x.shape();
  shape[dim] = int64_t(idx.size());
  Tensor out = Tensor::empty(shape, x.dtype());
  for (size_t i = 0; i < idx.size(); ++i) out.select(dim, int64_t(i)).copy_(x.select(dim, idx[i]));
  if (autograd::needs_grad({x})) {
    Shape xshape = x.shape();
    autograd::record(out, "index_select", {x}, [idx, xshape, dim](const Tensor& g) {
      Tensor gx = Tensor::zeros(xshape, g.dtype());
      for (size_t i = 0; i < idx.size(); ++i) {
        Tensor dst = gx.select(dim, idx[i]);
        dst.copy_(add(dst, g.select(dim, int64_t(i))));
      }
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

}  // namespace transformers::ops
