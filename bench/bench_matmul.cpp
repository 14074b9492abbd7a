// Matrix products next to the machine's limits (bench/machine_limits.h, measured in this run):
//   - GEMV (decode: few rows) with f32/f16/bf16 weights: GB/s of weights read, ratio to STREAM.
//   - sgemm used for the same shapes, for comparison.
//   - linear() with many rows (prefill): GFLOP/s, ratio to the sgemm peak.
// Run: build-*/bench_matmul [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "machine_limits.h"
#include "transformers/core/cpu/gemv.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/core/runtime.h"

using namespace transformers;

namespace {
constexpr int64_t kOut = 8192, kIn = 4096;  // f32 weights 128 MiB, f16/bf16 64 MiB: far beyond L3

Tensor weights(DType dt, int64_t out, int64_t in) {
  Generator gen(1);
  return ops::mul(ops::randn({out, in}, gen), 0.02).to(dt);
}

// Rates from busy time (Note [Timing on a shared machine] in machine_limits.h).
void report(benchmark::State& state, const bench::Stopwatch& sw, double bytes, double flops) {
  const bench::Limits& lim = bench::limits();
  const double it = double(state.iterations());
  const double busy = sw.busy(lim.threads), wall = sw.wall();
  const double gbps = bytes * it / busy / 1e9, gflops = flops * it / busy / 1e9;
  state.counters["GB/s"] = gbps;
  state.counters["GB/s_wall"] = bytes * it / wall / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["bw_ratio"] = gbps / lim.stream_gbps;
  state.counters["flop_ratio"] = gflops / lim.sgemm_gflops;
  state.counters["stream_GB/s"] = lim.stream_gbps;
  state.counters["sgemm_GFLOP/s"] = lim.sgemm_gflops;
}

void BM_StreamRead(benchmark::State& state) {
  const int threads = int(state.range(0));
  double gbps = 0;
  for (auto _ : state) gbps = bench::stream_read_gbps(threads);
  state.counters["GB/s"] = gbps;
}
BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_SgemmPeak(benchmark::State& state) {
  double gflops = 0;
  for (auto _ : state) gflops = bench::sgemm_gflops(int(state.range(0)), bench::limits().threads);
  state.counters["GFLOP/s"] = gflops;
}
BENCHMARK(BM_SgemmPeak)->Arg(2048)->Iterations(1)->Unit(benchmark::kMillisecond);

// Our gemv kernel: y[rows, kOut] = x[rows, kIn] W^T.
void BM_Gemv(benchmark::State& state, DType dt) {
  const int64_t rows = state.range(0);
  bench::limits();
  Tensor w = weights(dt, kOut, kIn);
  Generator gen(2);
  Tensor x = ops::randn({rows, kIn}, gen), y = Tensor::empty({rows, kOut});
  cpu::GemvArgs a{w.raw_data(), dt, kOut, kIn, kIn, x.data<float>(), kIn, y.data<float>(), kOut, rows, nullptr};
  cpu::gemv(a);  // warm-up
  bench::Stopwatch sw;
  for (auto _ : state) {
    cpu::gemv(a);
    benchmark::DoNotOptimize(y.data<float>());
  }
  report(state, sw, double(w.nbytes()), 2.0 * rows * kOut * kIn);
}
BENCHMARK_CAPTURE(BM_Gemv, f32, DType::Float32)->Arg(1)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, f16, DType::Float16)->Arg(1)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemv, bf16, DType::BFloat16)->Arg(1)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);

// One decode step's linears on real shapes (1 row): the Qwen2.5-0.5B MLP up/gate (k = 896, short
// rows), its down projection (k = 4864) and its tied lm_head (151936 x 896).
void BM_GemvShape(benchmark::State& state, DType dt) {
  const int64_t out = state.range(0), in = state.range(1);
  bench::limits();
  Tensor w = weights(dt, out, in);
  Generator gen(2);
  Tensor x = ops::randn({1, in}, gen), y = Tensor::empty({1, out});
  cpu::GemvArgs a{w.raw_data(), dt, out, in, in, x.data<float>(), in, y.data<float>(), out, 1, nullptr};
  cpu::gemv(a);
  bench::Stopwatch sw;
  for (auto _ : state) {
    cpu::gemv(a);
    benchmark::DoNotOptimize(y.data<float>());
  }
  report(state, sw, double(w.nbytes()), 2.0 * out * in);
}
void gemv_shapes(benchmark::internal::Benchmark* b) {
  b->Args({4864 * 8, 896})->Args({896 * 8, 4864})->Args({151936, 896})->Unit(benchmark::kMillisecond);
}
BENCHMARK_CAPTURE(BM_GemvShape, f32, DType::Float32)->Apply(gemv_shapes);
BENCHMARK_CAPTURE(BM_GemvShape, f16, DType::Float16)->Apply(gemv_shapes);
BENCHMARK_CAPTURE(BM_GemvShape, bf16, DType::BFloat16)->Apply(gemv_shapes);

// The kernel's own speed: 1 MiB of weights that stay in L2 after the first pass. When this rate
// is well above the STREAM bandwidth, the DRAM-sized case above is limited by memory, not by
// the kernel's instructions.
void BM_GemvInCache(benchmark::State& state, DType dt) {
  const int64_t rows = state.range(0), in = 1024, out = (int64_t(1) << 20) / int64_t(dtype_size(dt)) / in;
  bench::limits();
  Tensor w = weights(dt, out, in);
  Generator gen(2);
  Tensor x = ops::randn({rows, in}, gen), y = Tensor::empty({rows, out});
  cpu::GemvArgs a{w.raw_data(), dt, out, in, in, x.data<float>(), in, y.data<float>(), out, rows, nullptr};
  cpu::gemv(a);
  bench::Stopwatch sw;
  for (auto _ : state) {
    cpu::gemv(a);
    benchmark::DoNotOptimize(y.data<float>());
  }
  report(state, sw, double(w.nbytes()), 2.0 * rows * out * in);
}
BENCHMARK_CAPTURE(BM_GemvInCache, f32, DType::Float32)->Arg(1)->Arg(4)->Arg(8);
BENCHMARK_CAPTURE(BM_GemvInCache, f16, DType::Float16)->Arg(1)->Arg(4)->Arg(8);
BENCHMARK_CAPTURE(BM_GemvInCache, bf16, DType::BFloat16)->Arg(1)->Arg(4)->Arg(8);

// OpenBLAS sgemm on the same shapes (f32 weights), for comparison with the gemv kernel.
void BM_SgemmSkinny(benchmark::State& state) {
  const int64_t rows = state.range(0);
  bench::limits();
  Tensor w = weights(DType::Float32, kOut, kIn);
  Generator gen(2);
  Tensor x = ops::randn({rows, kIn}, gen), y = Tensor::empty({rows, kOut});
  auto call = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(kOut), int(kIn), 1.0f,
                x.data<float>(), int(kIn), w.data<float>(), int(kIn), 0.0f, y.data<float>(), int(kOut));
  };
  call();
  bench::Stopwatch sw;
  for (auto _ : state) {
    call();
    benchmark::DoNotOptimize(y.data<float>());
  }
  report(state, sw, double(w.nbytes()), 2.0 * rows * kOut * kIn);
}
BENCHMARK(BM_SgemmSkinny)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

// ops::linear with many rows (prefill): f32 goes to sgemm, f16/bf16 weights to the tiled path.
// k_major: W given as the transposed view of [in, out] storage (Hugging Face's Conv1D, GPT-2).
void run_linear(benchmark::State& state, DType dt, int64_t rows, int64_t out, int64_t in, bool k_major = false) {
  bench::limits();
  Tensor w = k_major ? weights(dt, in, out).transpose(0, 1) : weights(dt, out, in);
  Generator gen(3);
  Tensor x = ops::randn({rows, in}, gen);
  benchmark::DoNotOptimize(ops::linear(x, w).raw_data());
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(ops::linear(x, w).raw_data());
  report(state, sw, double(w.nbytes()), 2.0 * rows * out * in);
}
void BM_LinearPrefill(benchmark::State& state, DType dt) { run_linear(state, dt, state.range(0), 4096, 4096); }
// The previous prefill path for half weights, for comparison: gemv over groups of 8 rows
// (streams the weights once per group).
void BM_PrefillViaGemv(benchmark::State& state, DType dt) {
  const int64_t rows = state.range(0), out = 4096, in = 4096;
  bench::limits();
  Tensor w = weights(dt, out, in);
  Generator gen(3);
  Tensor x = ops::randn({rows, in}, gen), y = Tensor::empty({rows, out});
  auto call = [&] {
    for (int64_t r0 = 0; r0 < rows; r0 += cpu::kGemvMaxRows)
      cpu::gemv({w.raw_data(), dt, out, in, in, x.data<float>() + r0 * in, in, y.data<float>() + r0 * out,
                 out, std::min<int64_t>(cpu::kGemvMaxRows, rows - r0), nullptr});
  };
  call();
  bench::Stopwatch sw;
  for (auto _ : state) {
    call();
    benchmark::DoNotOptimize(y.data<float>());
  }
  report(state, sw, double(w.nbytes()), 2.0 * rows * out * in);
}
BENCHMARK_CAPTURE(BM_PrefillViaGemv, bf16, DType::BFloat16)->Arg(128)->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(BM_LinearPrefill, f32, DType::Float32)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LinearPrefill, f16, DType::Float16)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LinearPrefill, bf16, DType::BFloat16)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond);

// linear() at 512 rows on the projection shapes of the issue-5 models (Qwen2.5-0.5B: q/o
// 896x896, k/v 128x896, gate/up 4864x896, down 896x4864; Llama-3.2-1B: q/o 2048x2048, k/v
// 512x2048, gate/up 8192x2048, down 2048x8192): the work one prefill layer does.
void BM_LinearModelShape(benchmark::State& state, DType dt) {
  run_linear(state, dt, 512, state.range(0), state.range(1));
}
void model_shapes(benchmark::internal::Benchmark* b) {
  for (auto [out, in] : {std::pair<int64_t, int64_t>{896, 896}, {128, 896}, {4864, 896}, {896, 4864}, {2048, 2048},
                         {512, 2048}, {8192, 2048}, {2048, 8192}})
    b->Args({out, in});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK_CAPTURE(BM_LinearModelShape, f32, DType::Float32)->Apply(model_shapes);
// GPT-2 medium's projections (c_attn 1024 -> 3072, c_fc 1024 -> 4096, c_proj 4096 -> 1024) at 1 and
// 512 rows, on the [in, out] layout and, for comparison, on row-major weights of the same shape.
void BM_LinearConv1D(benchmark::State& state, bool k_major) {
  run_linear(state, DType::Float32, state.range(0), state.range(1), state.range(2), k_major);
}
void conv1d_shapes(benchmark::internal::Benchmark* b) {
  for (int64_t rows : {1, 512})
    for (auto [out, in] : {std::pair<int64_t, int64_t>{3072, 1024}, {4096, 1024}, {1024, 4096}}) b->Args({rows, out, in});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK_CAPTURE(BM_LinearConv1D, in_out, true)->Apply(conv1d_shapes);
BENCHMARK_CAPTURE(BM_LinearConv1D, out_in, false)->Apply(conv1d_shapes);
BENCHMARK_CAPTURE(BM_LinearModelShape, f16, DType::Float16)->Apply(model_shapes);

// Float32 matmul precision "medium": input and weights rounded to bf16 and the AVX512-BF16
// kernel where the CPU has it (cpu/gemm_bf16.h); flop_ratio is against f32 sgemm.
void BM_LinearPrefillMedium(benchmark::State& state, DType dt) {
  runtime::set_float32_matmul_precision("medium");
  BM_LinearPrefill(state, dt);
  runtime::set_float32_matmul_precision("highest");
}
BENCHMARK_CAPTURE(BM_LinearPrefillMedium, f32, DType::Float32)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LinearPrefillMedium, f16, DType::Float16)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LinearPrefillMedium, bf16, DType::BFloat16)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
