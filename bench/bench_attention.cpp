// scaled_dot_product_attention next to the machine's limits (bench/machine_limits.h):
//   - decode (one query, a long KV cache): GB/s of K and V read, ratio to STREAM;
//   - causal prefill: GFLOP/s over the visible (query, key) pairs, ratio to the sgemm peak.
// Shapes are Llama-3-8B's attention: 32 query heads, 8 KV heads, head_dim 128.
// Run: build-*/bench_attention [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cmath>

#include "machine_limits.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"

using namespace transformers;

namespace {
constexpr int64_t kHeads = 32, kKvHeads = 8, kHeadDim = 128;

void report(benchmark::State& state, const bench::Stopwatch& sw, double bytes, double flops) {
  const bench::Limits& lim = bench::limits();
  const double it = double(state.iterations());
  const double busy = sw.busy(lim.threads);
  const double gbps = bytes * it / busy / 1e9, gflops = flops * it / busy / 1e9;
  state.counters["GB/s"] = gbps;
  state.counters["GFLOP/s"] = gflops;
  state.counters["GFLOP/s_wall"] = flops * it / sw.wall() / 1e9;
  state.counters["bw_ratio"] = gbps / lim.stream_gbps;
  state.counters["flop_ratio"] = gflops / lim.sgemm_gflops;
  state.counters["stream_GB/s"] = lim.stream_gbps;
  state.counters["sgemm_GFLOP/s"] = lim.sgemm_gflops;
}

void BM_AttentionDecode(benchmark::State& state) {
  const int64_t S = state.range(0);
  bench::limits();
  Generator gen(1);
  Tensor q = ops::randn({1, kHeads, 1, kHeadDim}, gen);
  Tensor k = ops::randn({1, kKvHeads, S, kHeadDim}, gen), v = ops::randn({1, kKvHeads, S, kHeadDim}, gen);
  ops::AttentionOptions o;
  o.scale = 1.0 / std::sqrt(double(kHeadDim));
  o.is_causal = true;
  o.q_offset = S - 1;
  benchmark::DoNotOptimize(ops::scaled_dot_product_attention(q, k, v, o).raw_data());
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(ops::scaled_dot_product_attention(q, k, v, o).raw_data());
  report(state, sw, double(k.nbytes() + v.nbytes()), 4.0 * kHeads * S * kHeadDim);
}
BENCHMARK(BM_AttentionDecode)->Arg(512)->Arg(4096)->Arg(16384)->Unit(benchmark::kMicrosecond);

// Args: prompt length, head_dim (128: Llama-3-8B; 64: the issue-5 models, Qwen2.5-0.5B and
// Llama-3.2-1B, whose prefill attention is mostly mask and softmax work per score).
void BM_AttentionPrefillCausal(benchmark::State& state) {
  const int64_t L = state.range(0), D = state.range(1);
  bench::limits();
  Generator gen(2);
  Tensor q = ops::randn({1, kHeads, L, D}, gen);
  Tensor k = ops::randn({1, kKvHeads, L, D}, gen), v = ops::randn({1, kKvHeads, L, D}, gen);
  ops::AttentionOptions o;
  o.scale = 1.0 / std::sqrt(double(D));
  o.is_causal = true;
  benchmark::DoNotOptimize(ops::scaled_dot_product_attention(q, k, v, o).raw_data());
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(ops::scaled_dot_product_attention(q, k, v, o).raw_data());
  const double pairs = double(L) * double(L + 1) / 2;  // visible (query, key) pairs
  report(state, sw, double(k.nbytes() + v.nbytes()), 4.0 * kHeads * pairs * D);
}
BENCHMARK(BM_AttentionPrefillCausal)
    ->Args({128, 128})
    ->Args({512, 128})
    ->Args({512, 64})
    ->Args({2048, 64})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
