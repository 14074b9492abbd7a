// Elementwise ops: broadcasting binary ops, comparisons, where, unary math and activations.
#include <algorithm>
#include <array>
#include <cmath>

#include "transformers/core/autograd.h"
#include "transformers/core/cpu/element.h"
#include "transformers/core/cpu/vec.h"
#include "transformers/core/cpu/pool.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/runtime.h"

namespace transformers::ops {

namespace {

using cpu::for_each_row;
using cpu::load_as;
using cpu::store_as;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    TFM_CHECK(da == db || da == 1 || db == 1, "[", op, "] shapes ", shape_str(a), " and ",
              shape_str(b), " cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

enum class BinaryOp { Add, Sub, Mul, Div, Pow, Max, Min, Eq, Ne, Lt, Le, Gt, Ge, And, Or };

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::Pow: return "pow";
    case BinaryOp::Max: return "maximum";
    case BinaryOp::Min: return "minimum";
    case BinaryOp::Eq: return "eq";
    case BinaryOp::Ne: return "ne";
    case BinaryOp::Lt: return "lt";
    case BinaryOp::Le: return "le";
    case BinaryOp::Gt: return "gt";
    case BinaryOp::Ge: return "ge";
    case BinaryOp::And: return "logical_and";
    case BinaryOp::Or: return "logical_or";
  }
  return "?";
}

bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

template <typename T>
inline T apply(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div:
      if constexpr (std::is_integral_v<T>) {
        // torch.div on integers is true division; callers only reach here for floor semantics.
        return b == 0 ? 0 : a / b;
      } else {
        return a / b;
      }
    case BinaryOp::Pow: return T(std::pow(a, b));
    case BinaryOp::Max: return std::isnan(double(a)) ? a : (a > b ? a : b);
    case BinaryOp::Min: return std::isnan(double(a)) ? a : (a < b ? a : b);
    case BinaryOp::Eq: return a == b;
    case BinaryOp::Ne: return a != b;
    case BinaryOp::Lt: return a < b;
    case BinaryOp::Le: return a <= b;
    case BinaryOp::Gt: return a > b;
    case BinaryOp::Ge: return a >= b;
    case BinaryOp::And: return (a != T(0)) && (b != T(0));
    case BinaryOp::Or: return (a != T(0)) || (b != T(0));
  }
  return T(0);
}

// Elementwise loops over at least this many elements run on the thread pool.
constexpr int64_t kParallelElements = int64_t(1) << 16;

// The kernel: out = a (op) b over out's shape; a and b broadcast. Compute type C.
template <typename C>
void binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const Shape& shape = out.shape();
  Shape sa = cpu::broadcast_strides(a, shape), sb = cpu::broadcast_strides(b, shape);
  const Shape& so = out.strides();
  const bool f32 = a.dtype() == DType::Float32 && b.dtype() == DType::Float32 &&
                   out.dtype() == DType::Float32;
  const std::byte *pa = a.storage()->data(), *pb = b.storage()->data();
  std::byte* po = out.storage()->data();
  const size_t ea = dtype_size(a.dtype()), eb = dtype_size(b.dtype()), eo = dtype_size(out.dtype());
  const int64_t rank = out.dim();
  const int64_t ia = rank ? sa.back() : 0, ib = rank ? sb.back() : 0, io = rank ? so.back() : 0;
  std::array<const Shape*, 3> strides{&so, &sa, &sb};
  auto row = [&](std::array<int64_t, 3> off, int64_t n) {
    if (f32) {
      float* o = reinterpret_cast<float*>(po) + off[0];
      const float* x = reinterpret_cast<const float*>(pa) + off[1];
      const float* y = reinterpret_cast<const float*>(pb) + off[2];
      if (io == 1 && ia == 1 && ib == 1) {
        switch (op) {
          case BinaryOp::Add: for (int64_t i = 0; i < n; ++i) o[i] = x[i] + y[i]; return;
          case BinaryOp::Sub: for (int64_t i = 0; i < n; ++i) o[i] = x[i] - y[i]; return;
          case BinaryOp::Mul: for (int64_t i = 0; i < n; ++i) o[i] = x[i] * y[i]; return;
          case BinaryOp::Div: for (int64_t i = 0; i < n; ++i) o[i] = x[i] / y[i]; return;
          default: break;
        }
      }
      if (io == 1 && ia == 1 && ib == 0) {  // tensor (op) scalar, e.g. x * scale
        const float s = y[0];
        switch (op) {
          case BinaryOp::Add: for (int64_t i = 0; i < n; ++i) o[i] = x[i] + s; return;
          case BinaryOp::Sub: for (int64_t i = 0; i < n; ++i) o[i] = x[i] - s; return;
          case BinaryOp::Mul: for (int64_t i = 0; i < n; ++i) o[i] = x[i] * s; return;
          case BinaryOp::Div: for (int64_t i = 0; i < n; ++i) o[i] = x[i] / s; return;
          default: break;
        }
      }
      for (int64_t i = 0; i < n; ++i) o[i * io] = apply<float>(op, x[i * ia], y[i * ib]);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      C x = load_as<C>(pa + (off[1] + i * ia) * ea, a.dtype());
      C y = load_as<C>(pb + (off[2] + i * ib) * eb, b.dtype());
      store_as<C>(po + (off[0] + i * io) * eo, out.dtype(), apply<C>(op, x, y));
    }
  };
  // Large operands (a prompt's residual adds and SiLU products, [512, 8192]) are shared by the
  // pool's threads, whole rows each; a decode step's few thousand elements stay on one thread.
  const std::array<int64_t, 3> base{out.offset(), a.offset(), b.offset()};
  const int64_t numel = out.numel(), inner = rank ? std::max<int64_t>(shape.back(), 1) : 1;
  if (numel < kParallelElements) {
    for_each_row<3>(shape, strides, base, row);
    return;
  }
  const int64_t rows = numel / inner;
  auto rows_range = [&](int64_t r0, int64_t r1) { cpu::for_each_row_range<3>(shape, strides, base, r0, r1, row); };
  cpu::parallel_for(rows, cpu::grain_for(rows, std::max<int64_t>(1, kParallelElements / 4 / inner)), rows_range);
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  TFM_CHECK(a.defined() && b.defined(), "[", binary_name(op), "] undefined input");
  const char* name = binary_name(op);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  DType common = promote_types(a.dtype(), b.dtype());
  if (op == BinaryOp::Div && !is_floating(common)) common = DType::Float32;  // true division
  DType out_dtype = is_comparison(op) ? DType::Bool : common;
  Tensor out = Tensor::empty(shape, out_dtype);
  // Compute in f64 for f64 and for integer values, f32 for the rest (Note [Compute precision]).
  if (common == DType::Float64) binary_kernel<double>(op, a, b, out);
  else if (is_floating(common)) binary_kernel<float>(op, a, b, out);
  else binary_kernel<int64_t>(op, a, b, out);
  return out;
}

Tensor scalar_like(const Tensor& t, double v) {
  // A 0-d tensor of t's dtype when floating (PyTorch keeps the tensor's float dtype).
  DType dt = is_floating(t.dtype()) ? t.dtype() : (std::floor(v) == v ? DType::Int64 : DType::Float32);
  if (dt == DType::Float16 || dt == DType::BFloat16) dt = DType::Float32;  // keep the scalar exact
  return Tensor::scalar(v, dt);
}

Tensor keep_dtype(const Tensor& result, const Tensor& like) {
  return is_floating(like.dtype()) ? result.to(like.dtype()) : result;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::Add, a, b);
  if (autograd::needs_grad({a, b})) {
    Shape sa = a.shape(), sb = b.shape();
    autograd::record(out, "add", {a, b}, [sa, sb](const Tensor& g) {
      return std::vector<Tensor>{sum_to_shape(g, sa), sum_to_shape(g, sb)};
    });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::Sub, a, b);
  if (autograd::needs_grad({a, b})) {
    Shape sa = a.shape(), sb = b.shape();
    autograd::record(out, "sub", {a, b}, [sa, sb](const Tensor& g) {
      return std::vector<Tensor>{sum_to_shape(g, sa), sum_to_shape(neg(g), sb)};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::Mul, a, b);
  if (autograd::needs_grad({a, b})) {
    Tensor ad = a.detach(), bd = b.detach();
    autograd::record(out, "mul", {a, b}, [ad, bd](const Tensor& g) {
      return std::vector<Tensor>{sum_to_shape(mul(g, bd), ad.shape()),
                                 sum_to_shape(mul(g, ad), bd.shape())};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::Div, a, b);
  if (autograd::needs_grad({a, b})) {
    Tensor ad = a.detach(), bd = b.detach();
    autograd::record(out, "div", {a, b}, [ad, bd](const Tensor& g) {
      return std::vector<Tensor>{sum_to_shape(div(g, bd), ad.shape()),
                                 sum_to_shape(neg(div(mul(g, ad), mul(bd, bd))), bd.shape())};
    });
  }
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Pow, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Max, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Min, a, b); }

Tensor add(const Tensor& a, double b) { return keep_dtype(add(a, scalar_like(a, b)), a); }
Tensor sub(const Tensor& a, double b) { return keep_dtype(sub(a, scalar_like(a, b)), a); }
Tensor mul(const Tensor& a, double b) { return keep_dtype(mul(a, scalar_like(a, b)), a); }
Tensor div(const Tensor& a, double b) { return keep_dtype(div(a, scalar_like(a, b)), a); }

Tensor pow(const Tensor& a, double exponent) {
  Tensor out = keep_dtype(binary(BinaryOp::Pow, a, scalar_like(a, exponent)), a);
  if (autograd::needs_grad({a})) {
    Tensor ad = a.detach();
    autograd::record(out, "pow", {a}, [ad, exponent](const Tensor& g) {
      return std::vector<Tensor>{mul(g, mul(pow(ad, exponent - 1.0), exponent))};
    });
  }
  return out;
}

Tensor eq(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Ge, a, b); }
Tensor eq(const Tensor& a, double b) { return binary(BinaryOp::Eq, a, Tensor::scalar(b, DType::Float64)); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary(BinaryOp::And, a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Or, a, b); }
Tensor logical_not(const Tensor& a) { return binary(BinaryOp::Eq, a, Tensor::scalar(0, DType::Int64)); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  DType dt = promote_types(a.dtype(), b.dtype());
  Tensor out = Tensor::empty(shape, dt);
  Shape sc = cpu::broadcast_strides(cond, shape), sa = cpu::broadcast_strides(a, shape),
        sb = cpu::broadcast_strides(b, shape);
  const Shape& so = out.strides();
  std::array<const Shape*, 4> strides{&so, &sc, &sa, &sb};
  const int64_t r = out.dim();
  auto last = [r](const Shape& s) { return r ? s.back() : 0; };
  const int64_t io = last(so), ic = last(sc), ia = last(sa), ib = last(sb);
  const size_t eo = dtype_size(dt), ec = dtype_size(cond.dtype()), ea = dtype_size(a.dtype()),
               eb = dtype_size(b.dtype());
  cpu::for_each_row<4>(shape, strides, {out.offset(), cond.offset(), a.offset(), b.offset()},
                       [&](std::array<int64_t, 4> off, int64_t n) {
                         for (int64_t i = 0; i < n; ++i) {
                           bool c = load_as<double>(cond.storage()->data() + (off[1] + i * ic) * ec,
                                                    cond.dtype()) != 0.0;
                           double v = c ? load_as<double>(a.storage()->data() + (off[2] + i * ia) * ea, a.dtype())
                                        : load_as<double>(b.storage()->data() + (off[3] + i * ib) * eb, b.dtype());
                           store_as<double>(out.storage()->data() + (off[0] + i * io) * eo, dt, v);
                         }
                       });
  if (autograd::needs_grad({a, b})) {
    Tensor cd = cond.detach();
    Shape sha = a.shape(), shb = b.shape();
    autograd::record(out, "where", {a, b}, [cd, sha, shb](const Tensor& g) {
      Tensor zero = Tensor::zeros({}, g.dtype());
      return std::vector<Tensor>{sum_to_shape(where(cd, g, zero), sha),
                                 sum_to_shape(where(cd, zero, g), shb)};
    });
  }
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  Tensor fill = Tensor::scalar(value, is_floating(x.dtype()) ? DType::Float64 : DType::Int64);
  return where(mask, fill, x).to(x.dtype());
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  Tensor out = x;
  if (min) out = keep_dtype(maximum(out, scalar_like(x, *min)), x);
  if (max) out = keep_dtype(minimum(out, scalar_like(x, *max)), x);
  return out;
}

// ---------------------------------------------------------------- unary

namespace {
constexpr double kSqrt2OverPi = 0.7978845608028654;

template <typename T>
inline T unary_value(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Rsqrt: return T(1) / std::sqrt(x);
    case UnaryOp::Abs: return std::abs(x);
    case UnaryOp::Sin: return std::sin(x);
    case UnaryOp::Cos: return std::cos(x);
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Erf: return std::erf(x);
    case UnaryOp::Sigmoid: return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::Square: return x * x;
    case UnaryOp::Reciprocal: return T(1) / x;
    case UnaryOp::Relu: return x > T(0) ? x : T(0);
    case UnaryOp::Gelu: return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
    case UnaryOp::GeluTanh:
      return T(0.5) * x * (T(1) + std::tanh(T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x)));
    case UnaryOp::GeluFast:
      return T(0.5) * x * (T(1) + std::tanh(x * T(kSqrt2OverPi) * (T(1) + T(0.044715) * x * x)));
    case UnaryOp::Silu: return x / (T(1) + std::exp(-x));
    case UnaryOp::QuickGelu: return x / (T(1) + std::exp(T(-1.702) * x));
    case UnaryOp::Softplus: return x > T(20) ? x : std::log1p(std::exp(x));
    case UnaryOp::Mish: return x * std::tanh(x > T(20) ? x : std::log1p(std::exp(x)));
    case UnaryOp::Relu2: return x > T(0) ? x * x : T(0);
    case UnaryOp::Identity: return x;
  }
  return x;
}

// d(op)/dx at x (for the derivative table).
Tensor unary_derivative(UnaryOp op, const Tensor& x, const Tensor& y) {
  switch (op) {
    case UnaryOp::Neg: return Tensor::full({}, -1.0, x.dtype());
    case UnaryOp::Exp: return y;
    case UnaryOp::Log: return unary(UnaryOp::Reciprocal, x);
    case UnaryOp::Sqrt: return div(Tensor::full({}, 0.5, x.dtype()), y);
    case UnaryOp::Rsqrt: return mul(pow(y, 3.0), -0.5);
    case UnaryOp::Sin: return cos(x);
    case UnaryOp::Cos: return neg(sin(x));
    case UnaryOp::Tanh: return sub(Tensor::ones({}, x.dtype()), mul(y, y));
    case UnaryOp::Sigmoid: return mul(y, sub(Tensor::ones({}, x.dtype()), y));
    case UnaryOp::Square: return mul(x, 2.0);
    case UnaryOp::Reciprocal: return neg(mul(y, y));
    case UnaryOp::Relu: return gt(x, Tensor::zeros({}, x.dtype())).to(x.dtype());
    case UnaryOp::Identity: return Tensor::ones({}, x.dtype());
    case UnaryOp::Silu: {
      Tensor s = sigmoid(x);  // s * (1 + x * (1 - s))
      return mul(s, add(mul(x, sub(Tensor::ones({}, x.dtype()), s)), 1.0));
    }
    case UnaryOp::Gelu: {
      // Phi(x) + x * phi(x)
      Tensor cdf = mul(add(unary(UnaryOp::Erf, mul(x, 0.7071067811865476)), 1.0), 0.5);
      Tensor pdf = mul(exp(mul(mul(x, x), -0.5)), 0.3989422804014327);
      return add(cdf, mul(x, pdf));
    }
    case UnaryOp::GeluTanh: {
      Tensor inner = mul(add(x, mul(pow(x, 3.0), 0.044715)), kSqrt2OverPi);
      Tensor t = tanh(inner);
      Tensor dinner = mul(add(mul(mul(x, x), 3 * 0.044715), 1.0), kSqrt2OverPi);
      Tensor one_minus_t2 = sub(Tensor::ones({}, x.dtype()), mul(t, t));
      return add(mul(add(t, 1.0), 0.5), mul(mul(mul(x, 0.5), one_minus_t2), dinner));
    }
    default:
      throw Error("[backward] unary op has no derivative yet");
  }
}
}  // namespace

Tensor unary(UnaryOp op, const Tensor& x) {
  TFM_CHECK(x.defined(), "[unary] undefined input");
  DType dt = is_floating(x.dtype()) ? x.dtype() : DType::Float32;
  if (op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Relu || op == UnaryOp::Square ||
      op == UnaryOp::Identity)
    dt = x.dtype();
  Tensor out = Tensor::empty(x.shape(), dt);
  const bool simd = runtime::simd_level() == runtime::SimdLevel::Avx2;
  if (x.dtype() == DType::Float32 && dt == DType::Float32 && x.is_contiguous() && simd &&
      (op == UnaryOp::Silu || op == UnaryOp::Sigmoid || op == UnaryOp::Gelu)) {
    // The MLP's activation: vectorized exp (cpu/vec.h), in blocks across the thread pool.
    auto kernel = op == UnaryOp::Silu ? cpu::silu_avx2 : op == UnaryOp::Gelu ? cpu::gelu_avx2 : cpu::sigmoid_avx2;
    const float* in = x.data<float>();
    float* o = out.data<float>();
    const int64_t n = x.numel(), block = int64_t(1) << 14;
    auto blocks = [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) kernel(in + b * block, o + b * block, std::min(block, n - b * block));
    };
    const int64_t nblocks = (n + block - 1) / block;
    cpu::parallel_for(nblocks, n > (1 << 16) ? 1 : nblocks, blocks);
  } else if (x.dtype() == DType::Float32 && dt == DType::Float32 && x.is_contiguous()) {
    const float* in = x.data<float>();
    float* o = out.data<float>();
    const int64_t n = x.numel();
    auto range = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = unary_value<float>(op, in[i]);
    };
    cpu::parallel_for(n, n > (1 << 16) ? int64_t(1) << 14 : n, range);
  } else {
    Shape sx = x.strides();
    const Shape& so = out.strides();
    std::array<const Shape*, 2> strides{&so, &sx};
    const int64_t r = x.dim();
    const int64_t io = r ? so.back() : 0, ix = r ? sx.back() : 0;
    const size_t ex = dtype_size(x.dtype()), eo = dtype_size(dt);
    const bool wide = x.dtype() == DType::Float64 || !is_floating(x.dtype());
    cpu::for_each_row<2>(x.shape(), strides, {0, x.offset()}, [&](std::array<int64_t, 2> off, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const std::byte* s = x.storage()->data() + (off[1] + i * ix) * ex;
        std::byte* d = out.storage()->data() + (off[0] + i * io) * eo;
        if (wide) store_as<double>(d, dt, unary_value<double>(op, load_as<double>(s, x.dtype())));
        else store_as<float>(d, dt, unary_value<float>(op, load_as<float>(s, x.dtype())));
      }
    });
  }
  if (autograd::needs_grad({x})) {
    Tensor xd = x.detach(), yd = out.detach();
    autograd::record(out, "unary", {x}, [op, xd, yd](const Tensor& g) {
      return std::vector<Tensor>{mul(g, unary_derivative(op, xd, yd))};
    });
  }
  return out;
}

UnaryOp activation_from_name(const std::string& name) {
  if (name == "silu" || name == "swish") return UnaryOp::Silu;
  if (name == "gelu") return UnaryOp::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return UnaryOp::GeluTanh;
  if (name == "gelu_fast") return UnaryOp::GeluFast;
  if (name == "quick_gelu") return UnaryOp::QuickGelu;
  if (name == "relu") return UnaryOp::Relu;
  if (name == "relu2") return UnaryOp::Relu2;
  if (name == "tanh") return UnaryOp::Tanh;
  if (name == "sigmoid") return UnaryOp::Sigmoid;
  if (name == "mish") return UnaryOp::Mish;
  if (name == "linear" || name == "identity") return UnaryOp::Identity;
  throw Error("[activation] unknown hidden_act '" + name + "'");
}

}  // namespace transformers::ops
