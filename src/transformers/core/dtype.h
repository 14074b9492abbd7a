#pragma once
// Element types, their sizes and names, and exact f16/bf16 <-> f32 conversions.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace transformers {

enum class DType : uint8_t {
  Float32,
  Float16,
  BFloat16,
  Float64,
  Int64,
  Int32,
  Int16,
  Int8,
  UInt8,
  Bool,
  Float8E4M3,  // read-and-convert only
  Float8E5M2,  // read-and-convert only
};

inline constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Float32:
    case DType::Int32: return 4;
    case DType::Float16:
    case DType::BFloat16:
    case DType::Int16: return 2;
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool:
    case DType::Float8E4M3:
    case DType::Float8E5M2: return 1;
  }
  return 0;
}

inline constexpr bool is_floating(DType t) {
  return t == DType::Float32 || t == DType::Float16 || t == DType::BFloat16 ||
         t == DType::Float64 || t == DType::Float8E4M3 || t == DType::Float8E5M2;
}

// PyTorch-style names: "float32", "bfloat16", "int64" ...
std::string_view dtype_name(DType t);
// Accepts PyTorch names ("float32", "bfloat16", "torch.float16", "half", "float") ; throws on others.
DType dtype_from_name(std::string_view name);
// safetensors names: "F32", "BF16", "I64", "BOOL", "F8_E4M3" ...
std::string_view dtype_safetensors_name(DType t);
// Throws on an unknown safetensors dtype name.
DType dtype_from_safetensors_name(std::string_view name);
// PyTorch type promotion for binary ops (float beats int, wider beats narrower; f16+bf16 -> f32).
DType promote_types(DType a, DType b);

// ---- half-precision conversions (round to nearest even; NaN stays NaN) ----
struct Float16 {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

inline float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

inline uint16_t f32_to_bf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

inline float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf/NaN
  if (exp == 0) {
    if (mant == 0) return std::bit_cast<float>(sign);
    // subnormal: value = mant * 2^-24
    float v = float(mant) * 0x1p-24f;
    return sign ? -v : v;
  }
  return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

inline uint16_t f32_to_f16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;        // NaN
  if (a >= 0x477ff000u) return sign | 0x7c00u;       // overflow (>= 65520 rounds to inf) or inf
  if (a < 0x38800000u) {                             // below the smallest normal 2^-14
    if (a < 0x33000000u) return sign;                // < 2^-25 rounds to zero (ties to even 0)
    // subnormal: shift the implicit-1 mantissa into place with round to nearest even
    uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    int shift = 126 - int(a >> 23);                  // 14 + (127 - e) - 1 ... >= 14
    uint32_t q = mant >> (shift - 0);
    uint32_t rem = mant & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return sign | uint16_t(q);
  }
  // normal: rebias the exponent, round the 13 dropped bits to nearest even
  uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
  return sign | uint16_t((r - 0x38000000u) >> 13);
}

}  // namespace transformers
