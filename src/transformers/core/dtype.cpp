#include "transformers/core/dtype.h"

#include <string>

#include "transformers/core/error.h"

namespace transformers {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
    case DType::Float8E4M3: return "float8_e4m3fn";
    case DType::Float8E5M2: return "float8_e5m2";
  }
  TFM_UNREACHABLE();
}

DType dtype_from_name(std::string_view name) {
  if (name.starts_with("torch.")) name.remove_prefix(6);
  if (name == "float32" || name == "float" || name == "f32" || name == "fp32") return DType::Float32;
  if (name == "float16" || name == "half" || name == "f16" || name == "fp16") return DType::Float16;
  if (name == "bfloat16" || name == "bf16") return DType::BFloat16;
  if (name == "float64" || name == "double" || name == "f64") return DType::Float64;
  if (name == "int64" || name == "long") return DType::Int64;
  if (name == "int32" || name == "int") return DType::Int32;
  if (name == "int16" || name == "short") return DType::Int16;
  if (name == "int8") return DType::Int8;
  if (name == "uint8") return DType::UInt8;
  if (name == "bool") return DType::Bool;
  if (name == "float8_e4m3fn") return DType::Float8E4M3;
  if (name == "float8_e5m2") return DType::Float8E5M2;
  throw Error("[dtype] unknown dtype name '" + std::string(name) + "'");
}

std::string_view dtype_safetensors_name(DType t) {
  switch (t) {
    case DType::Float32: return "F32";
    case DType::Float16: return "F16";
    case DType::BFloat16: return "BF16";
    case DType::Float64: return "F64";
    case DType::Int64: return "I64";
    case DType::Int32: return "I32";
    case DType::Int16: return "I16";
    case DType::Int8: return "I8";
    case DType::UInt8: return "U8";
    case DType::Bool: return "BOOL";
    case DType::Float8E4M3: return "F8_E4M3";
    case DType::Float8E5M2: return "F8_E5M2";
  }
  TFM_UNREACHABLE();
}

DType dtype_from_safetensors_name(std::string_view name) {
  for (DType t : {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64, DType::Int64,
                  DType::Int32, DType::Int16, DType::Int8, DType::UInt8, DType::Bool,
                  DType::Float8E4M3, DType::Float8E5M2}) {
    if (dtype_safetensors_name(t) == name) return t;
  }
  throw Error("[safetensors] unsupported dtype '" + std::string(name) + "'");
}

namespace {
// Rank within a kind; higher wins.
int float_rank(DType t) {
  switch (t) {
    case DType::Float8E4M3:
    case DType::Float8E5M2: return 0;
    case DType::Float16: return 1;
    case DType::BFloat16: return 1;
    case DType::Float32: return 2;
    case DType::Float64: return 3;
    default: return -1;
  }
}
int int_rank(DType t) {
  switch (t) {
    case DType::Bool: return 0;
    case DType::UInt8: return 1;
    case DType::Int8: return 1;
    case DType::Int16: return 2;
    case DType::Int32: return 3;
    case DType::Int64: return 4;
    default: return -1;
  }
}
}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  bool fa = is_floating(a), fb = is_floating(b);
  if (fa && !fb) return a;
  if (fb && !fa) return b;
  if (fa && fb) {
    int ra = float_rank(a), rb = float_rank(b);
    if (ra == rb) return DType::Float32;  // f16 + bf16, or the two f8 kinds
    return ra > rb ? a : b;
  }
  if ((a == DType::UInt8 && b == DType::Int8) || (a == DType::Int8 && b == DType::UInt8))
    return DType::Int16;
  return int_rank(a) > int_rank(b) ? a : b;
}

}  // namespace transformers
