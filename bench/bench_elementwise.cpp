// Elementwise patterns from the model files, next to the STREAM bandwidth (machine_limits.h):
// RMSNorm's x * weight[hidden], the MLP's silu(gate) * up, residual adds and scalar scaling.
// Rates count the bytes each op must move (inputs read once, output written once).
// Run: build-*/bench_elementwise
#include <benchmark/benchmark.h>

#include "machine_limits.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"

using namespace transformers;

namespace {
void report(benchmark::State& state, const bench::Stopwatch& sw, double bytes) {
  const bench::Limits& lim = bench::limits();
  const double gbps = bytes * double(state.iterations()) / sw.busy(lim.threads) / 1e9;
  state.counters["GB/s"] = gbps;
  state.counters["bw_ratio"] = gbps / lim.stream_gbps;
  state.counters["stream_GB/s"] = lim.stream_gbps;
}

constexpr int64_t kRows = 512, kHidden = 4096, kInter = 11008;

void BM_MulBroadcastWeight(benchmark::State& state) {
  bench::limits();
  Generator gen(1);
  Tensor x = ops::randn({1, kRows, kHidden}, gen), w = ops::randn({kHidden}, gen);
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(ops::mul(x, w).raw_data());
  report(state, sw, 2.0 * double(x.nbytes()));
}
BENCHMARK(BM_MulBroadcastWeight)->Unit(benchmark::kMillisecond);

void BM_AddResidual(benchmark::State& state) {
  bench::limits();
  Generator gen(2);
  Tensor a = ops::randn({1, kRows, kHidden}, gen), b = ops::randn({1, kRows, kHidden}, gen);
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(ops::add(a, b).raw_data());
  report(state, sw, 3.0 * double(a.nbytes()));
}
BENCHMARK(BM_AddResidual)->Unit(benchmark::kMillisecond);

void BM_MulScalar(benchmark::State& state) {
  bench::limits();
  Generator gen(3);
  Tensor x = ops::randn({1, kRows, kHidden}, gen);
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(ops::mul(x, 0.125).raw_data());
  report(state, sw, 2.0 * double(x.nbytes()));
}
BENCHMARK(BM_MulScalar)->Unit(benchmark::kMillisecond);

void BM_SiluMul(benchmark::State& state) {
  bench::limits();
  Generator gen(4);
  Tensor gate = ops::randn({1, kRows, kInter}, gen), up = ops::randn({1, kRows, kInter}, gen);
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(ops::mul(ops::silu(gate), up).raw_data());
  report(state, sw, 3.0 * double(gate.nbytes()));
}
BENCHMARK(BM_SiluMul)->Unit(benchmark::kMillisecond);
}  // namespace

BENCHMARK_MAIN();
