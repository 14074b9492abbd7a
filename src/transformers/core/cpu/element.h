#pragma once
// Element access by run-time dtype, and strided iteration: the building blocks of the reference
// kernels. Hot paths specialise on contiguous f32 and never go through these per element.
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "transformers/core/dtype.h"
#include "transformers/core/error.h"
#include "transformers/core/tensor.h"

namespace transformers::cpu {

// float8 e4m3fn: bias 7, no infinities, S.1111.111 is NaN.
inline float f8e4m3_to_f32(uint8_t v) {
  uint32_t sign = (v & 0x80u) << 24;
  uint32_t exp = (v >> 3) & 0xfu, mant = v & 0x7u;
  if (exp == 0xf && mant == 0x7) return std::bit_cast<float>(sign | 0x7fc00000u);
  float mag = exp == 0 ? std::ldexp(float(mant), -9) : std::ldexp(1.0f + float(mant) / 8.0f, int(exp) - 7);
  return sign ? -mag : mag;
}
// float8 e5m2: the top byte of an f16.
inline float f8e5m2_to_f32(uint8_t v) { return f16_to_f32(uint16_t(v) << 8); }

template <typename T>
inline T load_as(const std::byte* p, DType dt) {
  switch (dt) {
    case DType::Float32: { float v; std::memcpy(&v, p, 4); return T(v); }
    case DType::Float64: { double v; std::memcpy(&v, p, 8); return T(v); }
    case DType::Float16: { uint16_t v; std::memcpy(&v, p, 2); return T(f16_to_f32(v)); }
    case DType::BFloat16: { uint16_t v; std::memcpy(&v, p, 2); return T(bf16_to_f32(v)); }
    case DType::Int64: { int64_t v; std::memcpy(&v, p, 8); return T(v); }
    case DType::Int32: { int32_t v; std::memcpy(&v, p, 4); return T(v); }
    case DType::Int16: { int16_t v; std::memcpy(&v, p, 2); return T(v); }
    case DType::Int8: return T(int8_t(*p));
    case DType::UInt8: return T(uint8_t(*p));
    case DType::Bool: return T(uint8_t(*p) != 0);
    case DType::Float8E4M3: return T(f8e4m3_to_f32(uint8_t(*p)));
    case DType::Float8E5M2: return T(f8e5m2_to_f32(uint8_t(*p)));
  }
  TFM_UNREACHABLE();
}

template <typename T>
inline void store_as(std::byte* p, DType dt, T value) {
  switch (dt) {
    case DType::Float32: { float v = float(value); std::memcpy(p, &v, 4); return; }
    case DType::Float64: { double v = double(value); std::memcpy(p, &v, 8); return; }
    case DType::Float16: { uint16_t v = f32_to_f16(float(value)); std::memcpy(p, &v, 2); return; }
    case DType::BFloat16: { uint16_t v = f32_to_bf16(float(value)); std::memcpy(p, &v, 2); return; }
    case DType::Int64: { int64_t v = int64_t(value); std::memcpy(p, &v, 8); return; }
    case DType::Int32: { int32_t v = int32_t(value); std::memcpy(p, &v, 4); return; }
    case DType::Int16: { int16_t v = int16_t(value); std::memcpy(p, &v, 2); return; }
    case DType::Int8: *p = std::byte(int8_t(value)); return;
    case DType::UInt8: *p = std::byte(uint8_t(value)); return;
    case DType::Bool: *p = std::byte(value != T(0) ? 1 : 0); return;
    case DType::Float8E4M3:
    case DType::Float8E5M2: throw Error("[dtype] float8 tensors are read-only (convert on load)");
  }
  TFM_UNREACHABLE();
}

// Visits the elements of `shape` in row-major order, one innermost row at a time:
// row(offsets, n) where offsets[i] is operand i's element offset of the row's first element and
// each operand advances by its own innermost stride. Only rows [row_begin, row_end) of the
// numel / shape.back() rows are visited (a 0-d shape has one row), so that threads can share one
// traversal.
template <size_t N, typename RowFn>
void for_each_row_range(const Shape& shape, const std::array<const Shape*, N>& strides,
                        const std::array<int64_t, N>& base, int64_t row_begin, int64_t row_end, RowFn row) {
  const int64_t rank = int64_t(shape.size());
  for (int64_t s : shape)
    if (s == 0) return;
  if (row_begin >= row_end) return;
  if (rank == 0) {
    row(base, 1);
    return;
  }
  const int64_t inner = shape[rank - 1];
  // The multi-index of row_begin over the outer dims, and the operands' offsets there.
  Shape index(rank, 0);
  std::array<int64_t, N> off = base;
  for (int64_t d = rank - 2, r = row_begin; d >= 0 && r > 0; --d) {
    index[d] = r % shape[d];
    r /= shape[d];
    for (size_t i = 0; i < N; ++i) off[i] += (*strides[i])[d] * index[d];
  }
  for (int64_t left = row_end - row_begin; left > 0; --left) {
    row(off, inner);
    int64_t d = rank - 2;
    for (; d >= 0; --d) {
      ++index[d];
      for (size_t i = 0; i < N; ++i) off[i] += (*strides[i])[d];
      if (index[d] < shape[d]) break;
      for (size_t i = 0; i < N; ++i) off[i] -= (*strides[i])[d] * shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// Every row of `shape` (see for_each_row_range).
template <size_t N, typename RowFn>
void for_each_row(const Shape& shape, const std::array<const Shape*, N>& strides,
                  const std::array<int64_t, N>& base, RowFn row) {
  for_each_row_range<N>(shape, strides, base, 0, std::numeric_limits<int64_t>::max(), row);
}

// Strides of `t` as seen through a broadcast to `shape` (0 on broadcast dims).
Shape broadcast_strides(const Tensor& t, const Shape& shape);

// Byte pointer of element `offset` (in elements, from the storage start) of a tensor.
inline std::byte* element_ptr(const Tensor& t, int64_t offset) {
  return t.storage()->data() + offset * int64_t(dtype_size(t.dtype()));
}

}  // namespace transformers::cpu
