#include "transformers/core/tensor.h"

#include <algorithm>
#include <cmath>
#include <array>
#include <cstring>
#include <optional>
#include <sstream>

#include "transformers/core/allocator.h"
#include "transformers/core/autograd.h"
#include "transformers/core/cpu/convert.h"
#include "transformers/core/cpu/element.h"
#include "transformers/core/cpu/pool.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers {

// ---------------------------------------------------------------- shapes

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (int64_t i = int64_t(shape.size()) - 1; i >= 0; --i) {
    strides[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

int64_t wrap_dim(int64_t d, int64_t rank, const char* op) {
  int64_t r = std::max<int64_t>(rank, 1);
  if (d < -r || d >= r)
    throw Error(detail::concat("[", op, "] dim ", d, " out of range for a ", rank, "-d tensor"));
  return d < 0 ? d + r : d;
}

namespace cpu {
Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  Shape out(shape.size(), 0);
  int64_t offset = int64_t(shape.size()) - t.dim();
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (t.size(i) == shape[offset + i]) out[offset + i] = t.stride(i);
    else if (t.size(i) != 1)
      throw Error("[broadcast] cannot broadcast " + shape_str(t.shape()) + " to " + shape_str(shape));
  }
  return out;
}
}  // namespace cpu

// ---------------------------------------------------------------- storage

std::shared_ptr<Storage> Storage::allocate(size_t nbytes) {
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = static_cast<std::byte*>(allocator::allocate(nbytes));
  s->nbytes_ = nbytes;
  return s;
}

std::shared_ptr<Storage> Storage::borrow(const void* data, size_t nbytes,
                                         std::shared_ptr<const void> keep_alive) {
  TFM_CHECK(keep_alive != nullptr, "[storage] borrowed memory needs an owner");
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = static_cast<std::byte*>(const_cast<void*>(data));
  s->nbytes_ = nbytes;
  s->keep_alive_ = std::move(keep_alive);
  return s;
}

Storage::~Storage() {
  if (!keep_alive_) allocator::release(data_, nbytes_);
}

// ---------------------------------------------------------------- factories

namespace {
Tensor make(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

void check_shape(const Shape& shape, const char* op) {
  for (int64_t s : shape) TFM_CHECK(s >= 0, "[", op, "] negative dimension in shape ", shape_str(shape));
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return;  // empty, whatever the rest
  // Bytes must fit in int64 at the widest dtype (8 bytes), so that no size computation overflows.
  int64_t bytes = 8;
  for (int64_t s : shape)
    TFM_CHECK(!__builtin_mul_overflow(bytes, s, &bytes), "[", op, "] shape ", shape_str(shape),
              " has too many elements");
}

// A view of t's storage with new geometry; keeps autograd history by recording a view node.
Tensor make_view(const Tensor& t, Shape shape, Shape strides, int64_t offset) {
  return make(t.storage(), std::move(shape), std::move(strides), offset, t.dtype());
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  check_shape(shape, "empty");
  size_t nbytes = size_t(shape_numel(shape)) * dtype_size(dtype);
  return make(Storage::allocate(nbytes), shape, contiguous_strides(shape), 0, dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::arange(int64_t start, int64_t end, int64_t step, DType dtype) {
  TFM_CHECK(step != 0, "[arange] step must be non-zero");
  int64_t n = std::max<int64_t>(0, (end - start + step - (step > 0 ? 1 : -1)) / step);
  Tensor t = empty({n}, dtype);
  std::byte* p = static_cast<std::byte*>(t.raw_data());
  size_t es = dtype_size(dtype);
  for (int64_t i = 0; i < n; ++i) cpu::store_as<double>(p + i * es, dtype, double(start + i * step));
  return t;
}

namespace {
template <typename T>
Tensor from_values(const std::vector<T>& values, const Shape& shape, DType dtype) {
  TFM_CHECK(int64_t(values.size()) == shape_numel(shape), "[from_vector] ", values.size(),
            " values do not fill shape ", shape_str(shape));
  Tensor t = Tensor::empty(shape, dtype);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}
}  // namespace

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& s) {
  return from_values(v, s, DType::Float32);
}
Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& s) {
  return from_values(v, s, DType::Float64);
}
Tensor Tensor::from_vector(const std::vector<int64_t>& v, const Shape& s) {
  return from_values(v, s, DType::Int64);
}
Tensor Tensor::from_vector(const std::vector<int32_t>& v, const Shape& s) {
  return from_values(v, s, DType::Int32);
}

Tensor Tensor::from_blob(const void* data, const Shape& shape, DType dtype,
                         std::shared_ptr<const void> keep_alive) {
  check_shape(shape, "from_blob");
  size_t nbytes = size_t(shape_numel(shape)) * dtype_size(dtype);
  return make(Storage::borrow(data, nbytes, std::move(keep_alive)), shape,
              contiguous_strides(shape), 0, dtype);
}

// ---------------------------------------------------------------- properties

int64_t Tensor::size(int64_t d) const { return impl_->shape[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return impl_->strides[wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (impl_->shape[i] == 1) continue;
    if (impl_->strides[i] != expected) return false;
    expected *= impl_->shape[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  TFM_CHECK(defined(), "[tensor] access to an undefined tensor");
  return cpu::element_ptr(*this, impl_->offset);
}

namespace {
template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::Float32;
  else if constexpr (std::is_same_v<T, double>) return DType::Float64;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::Int64;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::Int32;
  else if constexpr (std::is_same_v<T, int16_t>) return DType::Int16;
  else if constexpr (std::is_same_v<T, int8_t>) return DType::Int8;
  else if constexpr (std::is_same_v<T, uint8_t>) return DType::UInt8;
  else if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  else if constexpr (std::is_same_v<T, uint16_t>) return DType::Float16;  // or BFloat16, checked below
  else static_assert(sizeof(T) == 0, "unsupported element type");
}
}  // namespace

template <typename T>
T* Tensor::data() const {
  DType want = dtype_of<T>();
  bool ok = dtype() == want ||
            (std::is_same_v<T, uint16_t> && (dtype() == DType::Float16 || dtype() == DType::BFloat16));
  TFM_CHECK(ok, "[tensor] data<", dtype_name(want), ">() on a ", dtype_name(dtype()), " tensor");
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;
template int32_t* Tensor::data<int32_t>() const;
template int16_t* Tensor::data<int16_t>() const;
template int8_t* Tensor::data<int8_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;
template bool* Tensor::data<bool>() const;
template uint16_t* Tensor::data<uint16_t>() const;

template <typename T>
T Tensor::item() const {
  TFM_CHECK(numel() == 1, "[item] tensor of shape ", shape_str(shape()), " is not one element");
  return cpu::load_as<T>(static_cast<const std::byte*>(raw_data()), dtype());
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template int32_t Tensor::item<int32_t>() const;
template bool Tensor::item<bool>() const;

template <typename T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out;
  out.reserve(size_t(numel()));
  const size_t es = dtype_size(dtype());
  const std::byte* base = storage()->data();
  const DType dt = dtype();
  std::array<const Shape*, 1> strides{&impl_->strides};
  cpu::for_each_row<1>(shape(), strides, {offset()}, [&](std::array<int64_t, 1> off, int64_t n) {
    const int64_t step = dim() ? impl_->strides.back() : 0;
    for (int64_t i = 0; i < n; ++i) out.push_back(cpu::load_as<T>(base + (off[0] + i * step) * es, dt));
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;

// ---------------------------------------------------------------- views

namespace {
Shape infer_shape(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      TFM_CHECK(infer < 0, "[", op, "] only one dimension can be -1 in ", shape_str(shape));
      infer = int64_t(i);
    } else {
      TFM_CHECK(out[i] >= 0, "[", op, "] invalid shape ", shape_str(shape));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    TFM_CHECK(known != 0 && numel % known == 0, "[", op, "] shape ", shape_str(shape),
              " is invalid for ", numel, " elements");
    out[infer] = numel / known;
  }
  TFM_CHECK(shape_numel(out) == numel, "[", op, "] shape ", shape_str(shape), " is invalid for ",
            numel, " elements");
  return out;
}

// Strides for viewing (shape, strides) as new_shape without copying, if possible (PyTorch's
// computeStride): groups of old dims that are contiguous among themselves can be re-split.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides,
                                  const Shape& new_shape) {
  Shape new_strides(new_shape.size());
  if (old_shape.empty()) {
    for (auto& s : new_strides) s = 1;
    return new_strides;
  }
  if (shape_numel(old_shape) == 0) return contiguous_strides(new_shape);
  int64_t view_d = int64_t(new_shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = int64_t(old_shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_shape[tensor_d];
    if (tensor_d == 0 || (old_shape[tensor_d - 1] != 1 &&
                          old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}
}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  Shape s = infer_shape(shape, numel(), "view");
  auto strides = view_strides(this->shape(), this->strides(), s);
  TFM_CHECK(strides.has_value(), "[view] cannot view ", shape_str(this->shape()), " with strides ",
            shape_str(this->strides()), " as ", shape_str(s), "; use reshape");
  Tensor out = make_view(*this, s, *strides, offset());
  if (autograd::needs_grad({*this})) {
    Shape in_shape = this->shape();
    autograd::record(out, "view", {*this},
                     [in_shape](const Tensor& g) { return std::vector<Tensor>{g.reshape(in_shape)}; });
  }
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  Shape s = infer_shape(shape, numel(), "reshape");
  if (view_strides(this->shape(), this->strides(), s)) return view(s);
  return contiguous().view(s);
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  std::vector<int64_t> dims(static_cast<size_t>(dim()));
  for (int64_t i = 0; i < dim(); ++i) dims[i] = i;
  std::swap(dims[wrap_dim(d0, dim(), "transpose")], dims[wrap_dim(d1, dim(), "transpose")]);
  return permute(dims);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  TFM_CHECK(int64_t(dims.size()) == dim(), "[permute] ", dims.size(), " dims for a ", dim(),
            "-d tensor");
  Shape shape(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    TFM_CHECK(!seen[d], "[permute] repeated dim ", d);
    seen[d] = true;
    shape[i] = this->shape()[d];
    strides[i] = this->strides()[d];
    inverse[d] = int64_t(i);
  }
  Tensor out = make_view(*this, shape, strides, offset());
  if (autograd::needs_grad({*this})) {
    autograd::record(out, "permute", {*this},
                     [inverse](const Tensor& g) { return std::vector<Tensor>{g.permute(inverse)}; });
  }
  return out;
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  d = wrap_dim(d, dim(), "narrow");
  TFM_CHECK(start >= 0 && length >= 0 && start + length <= size(d), "[narrow] [", start, ", ",
            start + length, ") out of range for dim ", d, " of size ", size(d));
  return slice(d, start, start + length, 1);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  TFM_CHECK(step > 0, "[slice] step must be positive");
  const int64_t n = size(d);
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = this->shape(), strides = this->strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  Tensor out = make_view(*this, shape, strides, offset() + start * this->strides()[d]);
  if (autograd::needs_grad({*this})) {
    Shape in_shape = this->shape();
    autograd::record(out, "slice", {*this}, [in_shape, d, start, end, step](const Tensor& g) {
      Tensor full = Tensor::zeros(in_shape, g.dtype());
      full.slice(d, start, end, step).copy_(g);
      return std::vector<Tensor>{full};
    });
  }
  return out;
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = wrap_dim(d, dim(), "select");
  if (index < 0) index += size(d);
  TFM_CHECK(index >= 0 && index < size(d), "[select] index ", index, " out of range for dim ", d,
            " of size ", size(d));
  return slice(d, index, index + 1).squeeze(d);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape shape = this->shape();
  shape.insert(shape.begin() + d, 1);
  return view(shape);
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  if (size(d) != 1) return *this;
  Shape shape = this->shape();
  shape.erase(shape.begin() + d);
  return view(shape);
}

Tensor Tensor::expand(const Shape& shape) const {
  TFM_CHECK(int64_t(shape.size()) >= dim(), "[expand] cannot expand ", shape_str(this->shape()),
            " to fewer dims ", shape_str(shape));
  Shape target = shape;
  const int64_t lead = int64_t(shape.size()) - dim();
  for (int64_t i = 0; i < dim(); ++i)
    if (target[lead + i] == -1) target[lead + i] = size(i);
  Shape strides = cpu::broadcast_strides(*this, target);
  Tensor out = make_view(*this, target, strides, offset());
  if (autograd::needs_grad({*this})) {
    Shape in_shape = this->shape();
    autograd::record(out, "expand", {*this}, [in_shape](const Tensor& g) {
      return std::vector<Tensor>{ops::sum_to_shape(g, in_shape)};
    });
  }
  return out;
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  start_dim = wrap_dim(start_dim, dim(), "flatten");
  end_dim = wrap_dim(end_dim, dim(), "flatten");
  Shape shape;
  for (int64_t i = 0; i < start_dim; ++i) shape.push_back(size(i));
  int64_t n = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) n *= size(i);
  shape.push_back(n);
  for (int64_t i = end_dim + 1; i < dim(); ++i) shape.push_back(size(i));
  return reshape(shape);
}

// ---------------------------------------------------------------- copies

void Tensor::copy_(const Tensor& src) const {
  Shape src_strides = cpu::broadcast_strides(src, shape());
  const size_t ses = dtype_size(src.dtype()), des = dtype_size(dtype());
  const DType sdt = src.dtype(), ddt = dtype();
  std::byte* dbase = storage()->data();
  const std::byte* sbase = src.storage()->data();
  const Shape& dst_strides = strides();
  std::array<const Shape*, 2> strides{&dst_strides, &src_strides};
  const int64_t dstep = dim() ? dst_strides.back() : 0, sstep = dim() ? src_strides.back() : 0;
  // Half-precision to f32 (weights converted for sgemm, K/V, embeddings): vectorized, and across
  // threads when both sides are one contiguous block.
  const bool half_to_f32 = ddt == DType::Float32 && (sdt == DType::Float16 || sdt == DType::BFloat16);
  if (half_to_f32 && is_contiguous() && src.is_contiguous() && src.shape() == shape() && numel() > 0) {
    const int64_t k = dim() ? size(-1) : 1;
    cpu::rows_to_f32(sbase + src.offset() * int64_t(ses), sdt, numel() / k, k, k,
                     reinterpret_cast<float*>(dbase) + offset());
    return;
  }
  auto row = [&](std::array<int64_t, 2> off, int64_t n) {
    if (sdt == ddt && dstep == 1 && sstep == 1) {
      std::memcpy(dbase + off[0] * des, sbase + off[1] * ses, size_t(n) * des);
      return;
    }
    if (half_to_f32 && dstep == 1 && sstep == 1) {
      cpu::rows_to_f32(sbase + off[1] * int64_t(ses), sdt, 1, n, n,
                       reinterpret_cast<float*>(dbase) + off[0]);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const std::byte* s = sbase + (off[1] + i * sstep) * ses;
      std::byte* d = dbase + (off[0] + i * dstep) * des;
      if (sdt == ddt) std::memcpy(d, s, des);
      else if (is_floating(ddt) || is_floating(sdt))
        cpu::store_as<double>(d, ddt, cpu::load_as<double>(s, sdt));
      else cpu::store_as<int64_t>(d, ddt, cpu::load_as<int64_t>(s, sdt));
    }
  };
  const std::array<int64_t, 2> base{offset(), src.offset()};
  // Large strided copies (a prompt's attention output transposed back to [seq, heads, head_dim])
  // are shared by the pool's threads, whole rows each. A copy within one storage (which may
  // overlap, e.g. a shift) keeps the single ascending pass.
  const int64_t count = numel(), inner = dim() ? std::max<int64_t>(size(-1), 1) : 1;
  if (count < (int64_t(1) << 16) || storage()->data() == src.storage()->data()) {
    cpu::for_each_row<2>(shape(), strides, base, row);
    return;
  }
  const int64_t rows = count / inner;
  auto rows_range = [&](int64_t r0, int64_t r1) { cpu::for_each_row_range<2>(shape(), strides, base, r0, r1, row); };
  cpu::parallel_for(rows, cpu::grain_for(rows, std::max<int64_t>(1, (int64_t(1) << 14) / inner)), rows_range);
}

void Tensor::fill_(double value) const {
  std::byte* base = storage()->data();
  const size_t es = dtype_size(dtype());
  const DType dt = dtype();
  std::byte pattern[8];
  cpu::store_as<double>(pattern, dt, value);
  std::array<const Shape*, 1> strides{&impl_->strides};
  const int64_t step = dim() ? impl_->strides.back() : 0;
  cpu::for_each_row<1>(shape(), strides, {offset()}, [&](std::array<int64_t, 1> off, int64_t n) {
    for (int64_t i = 0; i < n; ++i) std::memcpy(base + (off[0] + i * step) * es, pattern, es);
  });
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype());
  out.copy_(*this);
  if (autograd::needs_grad({*this})) {
    autograd::record(out, "clone", {*this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  }
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == this->dtype()) return *this;
  Tensor out = empty(shape(), dtype);
  out.copy_(*this);
  if (autograd::needs_grad({*this}) && is_floating(dtype)) {
    DType in_dtype = this->dtype();
    autograd::record(out, "to", {*this},
                     [in_dtype](const Tensor& g) { return std::vector<Tensor>{g.to(in_dtype)}; });
  }
  return out;
}

// ---------------------------------------------------------------- autograd accessors

bool Tensor::requires_grad() const {
  return defined() && impl_->autograd && impl_->autograd->requires_grad;
}

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  TFM_CHECK(!requires_grad || is_floating(dtype()), "[autograd] only floating tensors can require grad");
  if (!impl_->autograd) impl_->autograd = std::make_shared<autograd::AutogradMeta>();
  impl_->autograd->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const { return impl_->autograd ? impl_->autograd->grad : Tensor(); }

void Tensor::set_grad(const Tensor& grad) const {
  if (!impl_->autograd) impl_->autograd = std::make_shared<autograd::AutogradMeta>();
  impl_->autograd->grad = grad;
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<autograd::Node> none;
  return impl_->autograd ? impl_->autograd->grad_fn : none;
}

void Tensor::backward(const Tensor& grad_output) const { autograd::backward(*this, grad_output); }

Tensor Tensor::detach() const {
  return make(storage(), shape(), strides(), offset(), dtype());
}

std::string Tensor::to_string(int64_t max_elements) const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream ss;
  ss << "Tensor(" << dtype_name(dtype()) << ", " << shape_str(shape()) << ") [";
  std::vector<double> v = to_vector<double>();
  for (int64_t i = 0; i < std::min<int64_t>(max_elements, int64_t(v.size())); ++i)
    ss << (i ? ", " : "") << v[i];
  if (int64_t(v.size()) > max_elements) ss << ", ...";
  ss << "]";
  return ss.str();
}

}  // namespace transformers
