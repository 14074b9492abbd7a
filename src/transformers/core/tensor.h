#pragma once
// Tensor: a cheap, copyable handle to (storage, dtype, shape, strides, offset, device, autograd).
// Views (view/reshape of contiguous data, transpose, permute, narrow, select, expand, unsqueeze)
// share storage. Dimension order is PyTorch's: outermost first, row-major; strides in elements.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "transformers/core/dtype.h"

namespace transformers {

enum class Device : uint8_t { Cpu, Cuda };

using Shape = std::vector<int64_t>;

// "[2, 3, 4]"
std::string shape_str(const Shape& shape);
int64_t shape_numel(const Shape& shape);
// Row-major strides for a shape.
Shape contiguous_strides(const Shape& shape);

// A byte buffer. Owned buffers come from the caching allocator; borrowed ones point into memory
// that another object keeps alive (an mmap'd checkpoint: weights used as stored are never copied).
class Storage {
 public:
  static std::shared_ptr<Storage> allocate(size_t nbytes);
  static std::shared_ptr<Storage> borrow(const void* data, size_t nbytes,
                                         std::shared_ptr<const void> keep_alive);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  std::byte* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  // Borrowed storage is read-only by contract (it may be a read-only mapping).
  bool is_borrowed() const { return keep_alive_ != nullptr; }

 private:
  Storage() = default;
  std::byte* data_ = nullptr;
  size_t nbytes_ = 0;
  std::shared_ptr<const void> keep_alive_;
};

namespace autograd {
struct Node;
struct AutogradMeta;
}  // namespace autograd

class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;
  Device device = Device::Cpu;
  std::shared_ptr<autograd::AutogradMeta> autograd;  // null unless grad is involved
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() == false)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- factories ----
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
  // 0-d tensor.
  static Tensor scalar(double value, DType dtype = DType::Float32);
  // [start, end) with step, like torch.arange.
  static Tensor arange(int64_t start, int64_t end, int64_t step = 1, DType dtype = DType::Int64);
  // Copies the values; numel(shape) must equal values.size().
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<int32_t>& values, const Shape& shape);
  // Zero-copy, read-only view of external bytes (e.g. an mmap'd safetensors tensor).
  static Tensor from_blob(const void* data, const Shape& shape, DType dtype,
                          std::shared_ptr<const void> keep_alive);

  // ---- properties ----
  bool defined() const { return impl_ != nullptr; }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->device; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t offset() const { return impl_->offset; }
  int64_t dim() const { return int64_t(impl_->shape.size()); }
  // Size of dimension d; negative d counts from the end.
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t numel() const { return shape_numel(impl_->shape); }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype()); }
  bool is_contiguous() const;
  // The storage is shared by this tensor and its views.
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  // Same storage, same view (identity, not value equality).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // Pointer to the first element (at offset). data<T>() checks that T matches dtype.
  void* raw_data() const;
  template <typename T>
  T* data() const;

  // Value of a one-element tensor, converted to T.
  template <typename T>
  T item() const;
  // All values in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- views (share storage) ----
  // Requires a viewable layout; -1 infers one dimension.
  Tensor view(const Shape& shape) const;
  // view() when possible, otherwise a contiguous copy.
  Tensor reshape(const Shape& shape) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor permute(const std::vector<int64_t>& dims) const;
  // Elements [start, start + length) of dimension d.
  Tensor narrow(int64_t d, int64_t start, int64_t length) const;
  // Python slicing x[..., start:end:step, ...] on dimension d (negative indices, clamped).
  Tensor slice(int64_t d, int64_t start, int64_t end, int64_t step = 1) const;
  // Removes dimension d, keeping index i.
  Tensor select(int64_t d, int64_t index) const;
  Tensor unsqueeze(int64_t d) const;
  Tensor squeeze(int64_t d) const;
  // Broadcasts size-1 dimensions (stride 0); -1 keeps a dimension.
  Tensor expand(const Shape& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;

  // ---- copies ----
  Tensor contiguous() const;  // self when already contiguous
  Tensor clone() const;       // always a fresh contiguous copy
  Tensor to(DType dtype) const;  // self when the dtype already matches
  // Copies src (broadcast to this shape, converting dtype) into this tensor's elements.
  void copy_(const Tensor& src) const;
  void fill_(double value) const;

  // ---- autograd ----
  bool requires_grad() const;
  // Marks a leaf tensor as a parameter that accumulates .grad().
  Tensor& set_requires_grad(bool requires_grad);
  // The accumulated gradient (undefined when none).
  Tensor grad() const;
  void set_grad(const Tensor& grad) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  // Back-propagates from this tensor (a scalar, or with an explicit upstream gradient).
  void backward(const Tensor& grad_output = Tensor()) const;
  // A view of the same data that records no history.
  Tensor detach() const;

  std::string to_string(int64_t max_elements = 32) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Normalizes a possibly negative dimension index against rank; throws "[op] dim out of range".
int64_t wrap_dim(int64_t d, int64_t rank, const char* op);

}  // namespace transformers
