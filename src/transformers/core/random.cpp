// Generator (Philox-4x32-10 over a 64-bit block counter) and the random ops built on it.
//
// Note [Random streams]
// Block b of a generator is philox(counter = {b_lo, b_hi, 0, 0}, key = {seed_lo, seed_hi}).
// Scalar draws (uniform_float, uniform_double, normal) each use one whole block. Tensor fills use
// consecutive blocks for consecutive elements in row-major order (4 elements per block for 32-bit
// draws, 2 for 53-bit doubles and for Box-Muller pairs), so a fill of n elements advances the
// stream exactly as ceil(n / per_block) calls of next4() would, on any number of threads.
#include "transformers/core/random.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "transformers/core/cpu/element.h"
#include "transformers/core/cpu/philox.h"
#include "transformers/core/cpu/pool.h"
#include "transformers/core/error.h"

namespace transformers {

namespace {
void block(uint64_t seed, uint64_t index, uint32_t out[4]) {
  const uint32_t counter[4] = {uint32_t(index), uint32_t(index >> 32), 0, 0};
  const uint32_t key[2] = {uint32_t(seed), uint32_t(seed >> 32)};
  cpu::philox4x32_10(counter, key, out);
}
inline double to_double53(uint32_t hi, uint32_t lo) {
  return double(((uint64_t(hi) << 32) | lo) >> 11) * 0x1p-53;
}
// A uniform draw with exactly the precision of dtype, so that rounding to it never yields 1.0.
inline double to_unit(uint32_t w, DType dt) {
  switch (dt) {
    case DType::BFloat16: return double(w >> 24) * 0x1p-8;
    case DType::Float16: return double(w >> 21) * 0x1p-11;
    default: return double(w >> 8) * 0x1p-24;
  }
}
// Box-Muller on two 53-bit uniforms; 1 - u1 lies in (0, 1] so the log is finite.
inline void box_muller(double u1, double u2, double& z0, double& z1) {
  const double r = std::sqrt(-2.0 * std::log(1.0 - u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}
}  // namespace

void Generator::next4(uint32_t out[4]) { block(seed_, offset_++, out); }

float Generator::uniform_float() {
  uint32_t w[4];
  next4(w);
  return float(w[0] >> 8) * 0x1p-24f;
}

double Generator::uniform_double() {
  uint32_t w[4];
  next4(w);
  return to_double53(w[0], w[1]);
}

double Generator::normal() {
  uint32_t w[4];
  next4(w);
  double z0, z1;
  box_muller(to_double53(w[0], w[1]), to_double53(w[2], w[3]), z0, z1);
  return z0;
}

Generator& default_generator() {
  static Generator gen(67280421310721ull);  // PyTorch's default CPU seed
  return gen;
}

namespace ops {

namespace {
enum class Dist { Uniform, Normal };

// Elements per Philox block (Note [Random streams]).
int64_t per_block(Dist dist, DType dt) { return dist == Dist::Uniform && dt != DType::Float64 ? 4 : 2; }

// Writes a*draw + b for draws [first, first + n) of the stream that starts at block `base`
// (first is a multiple of per_block) into out, contiguous elements of dtype dt.
void draw_range(uint64_t seed, uint64_t base, int64_t first, int64_t n, Dist dist, DType dt, double a,
                double b, std::byte* out) {
  const size_t es = dtype_size(dt);
  const int64_t per = per_block(dist, dt);
  uint32_t w[4];
  for (int64_t i = 0; i < n; i += per) {
    block(seed, base + uint64_t((first + i) / per), w);
    double v[4];
    if (dist == Dist::Uniform && dt != DType::Float64) {
      for (int j = 0; j < 4; ++j) v[j] = to_unit(w[j], dt);
    } else if (dist == Dist::Uniform) {
      v[0] = to_double53(w[0], w[1]);
      v[1] = to_double53(w[2], w[3]);
    } else {
      box_muller(to_double53(w[0], w[1]), to_double53(w[2], w[3]), v[0], v[1]);
    }
    const int64_t m = std::min(per, n - i);
    for (int64_t j = 0; j < m; ++j) cpu::store_as<double>(out + size_t(i + j) * es, dt, a * v[j] + b);
  }
}

void check_float(DType dt, const char* op) {
  TFM_CHECK(dt == DType::Float32 || dt == DType::Float64 || dt == DType::Float16 ||
                dt == DType::BFloat16,
            "[", op, "] needs a floating dtype, got ", dtype_name(dt));
}

// Writes a*draw + b into x (any layout) in row-major element order. Each block of the stream is
// computed from its index, so threads fill disjoint chunks with the values a serial loop would
// write, straight into x (contiguous) or a contiguous staging copy (other layouts).
void fill(const Tensor& x, Dist dist, double a, double b, Generator& gen, const char* op) {
  TFM_CHECK(x.defined(), "[", op, "] undefined tensor");
  check_float(x.dtype(), op);
  TFM_CHECK(!x.storage()->is_borrowed(), "[", op, "] tensor is a read-only borrowed view");
  const int64_t n = x.numel(), per = per_block(dist, x.dtype());
  const uint64_t blocks = uint64_t((n + per - 1) / per), base = gen.offset();
  gen.skip(blocks);
  Tensor dst = x.is_contiguous() ? x : Tensor::empty(x.shape(), x.dtype());
  std::byte* p = static_cast<std::byte*>(dst.raw_data());
  const size_t es = dtype_size(x.dtype());
  const int64_t chunk = 16384;  // elements per work item, a multiple of every per_block
  const int64_t chunks = (n + chunk - 1) / chunk;
  auto range = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t first = c * chunk, m = std::min(chunk, n - first);
      draw_range(gen.seed(), base, first, m, dist, x.dtype(), a, b, p + size_t(first) * es);
    }
  };
  cpu::parallel_for(chunks, 1, range);
  if (!x.is_contiguous()) x.copy_(dst);
}
}  // namespace

Tensor rand(const Shape& shape, Generator& gen, DType dtype) {
  check_float(dtype, "rand");
  Tensor t = Tensor::empty(shape, dtype);
  fill(t, Dist::Uniform, 1.0, 0.0, gen, "rand");
  return t;
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype) {
  check_float(dtype, "randn");
  Tensor t = Tensor::empty(shape, dtype);
  fill(t, Dist::Normal, 1.0, 0.0, gen, "randn");
  return t;
}

void uniform_(const Tensor& x, double low, double high, Generator& gen) {
  TFM_CHECK(low <= high, "[uniform_] low ", low, " > high ", high);
  fill(x, Dist::Uniform, high - low, low, gen, "uniform_");
}

void normal_(const Tensor& x, double mean, double std, Generator& gen) {
  TFM_CHECK(std >= 0, "[normal_] std must be non-negative, got ", std);
  fill(x, Dist::Normal, std, mean, gen, "normal_");
}

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& gen) {
  TFM_CHECK(probs.defined() && (probs.dim() == 1 || probs.dim() == 2),
            "[multinomial] probs must be 1-d or 2-d, got ",
            shape_str(probs.defined() ? probs.shape() : Shape{}));
  TFM_CHECK(is_floating(probs.dtype()), "[multinomial] probs must be floating, got ",
            dtype_name(probs.dtype()));
  TFM_CHECK(num_samples > 0, "[multinomial] num_samples must be positive, got ", num_samples);
  const int64_t rows = probs.dim() == 2 ? probs.size(0) : 1, n = probs.size(-1);
  TFM_CHECK(n > 0, "[multinomial] probs has no categories");
  std::vector<double> p = probs.to_vector<double>();
  Tensor out = Tensor::empty(probs.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples},
                             DType::Int64);
  int64_t* po = out.data<int64_t>();
  std::vector<double> w(static_cast<size_t>(n));
  for (int64_t r = 0; r < rows; ++r) {
    int64_t nonzero = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double v = p[size_t(r * n + j)];
      TFM_CHECK(std::isfinite(v) && v >= 0, "[multinomial] probs must be finite and non-negative, got ",
                v, " at [", r, ", ", j, "]");
      w[size_t(j)] = v;
      nonzero += v > 0;
    }
    TFM_CHECK(nonzero > 0, "[multinomial] row ", r, " sums to zero");
    TFM_CHECK(replacement || num_samples <= nonzero, "[multinomial] cannot draw ", num_samples,
              " samples without replacement from ", nonzero, " non-zero categories");
    for (int64_t s = 0; s < num_samples; ++s) {
      double total = 0;
      for (double v : w) total += v;
      // The first category whose running sum exceeds u * total; zero weights never qualify.
      const double target = gen.uniform_double() * total;
      double run = 0;
      int64_t pick = -1, last_nonzero = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (w[size_t(j)] <= 0) continue;
        last_nonzero = j;
        run += w[size_t(j)];
        if (run > target) {
          pick = j;
          break;
        }
      }
      if (pick < 0) pick = last_nonzero;  // u * total rounded up to total
      po[r * num_samples + s] = pick;
      if (!replacement) w[size_t(pick)] = 0;
    }
  }
  return out;
}

}  // namespace ops
}  // namespace transformers
