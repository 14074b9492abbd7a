// Encoder throughput (sentences/s) for random-weight BERT models with the dimensions of
// all-MiniLM-L6-v2 (hidden 384, 6 layers, 12 heads, intermediate 1536) and bert-base
// (768/12/12/3072): 2 threads, sequence length 128, batch 1 and 32; the matmul FLOP rate of the
// whole forward as a fraction of OpenBLAS sgemm measured in this process (on 2048^2 and on the
// model's own linear shapes).
// Run: build-*/bench_encoders [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "machine_limits.h"
#include "transformers/core/autograd.h"
#include "transformers/core/runtime.h"
#include "transformers/models/auto/modeling_auto.h"

using namespace transformers;

namespace {

constexpr int kThreads = 2;
constexpr int64_t kSeq = 128;

struct Dims {
  const char* name;
  int64_t hidden, layers, heads, intermediate;
};
const Dims kMiniLM = {"MiniLM-L6", 384, 6, 12, 1536};
const Dims kBertBase = {"bert-base", 768, 12, 12, 3072};

// Limits measured with the benchmark's thread count.
const bench::Limits& limits() {
  runtime::set_num_threads(kThreads);
  return bench::limits();
}

std::unique_ptr<models::PreTrainedModel> random_bert(const Dims& d) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("bench_encoders_" + std::string(d.name));
  std::filesystem::create_directories(dir);
  nlohmann::json config = {{"architectures", {"BertModel"}}, {"model_type", "bert"},
                           {"hidden_size", d.hidden},       {"num_hidden_layers", d.layers},
                           {"num_attention_heads", d.heads}, {"intermediate_size", d.intermediate},
                           {"vocab_size", 30522},            {"max_position_embeddings", 512},
                           {"type_vocab_size", 2},           {"hidden_act", "gelu"},
                           {"layer_norm_eps", 1e-12},        {"pad_token_id", 0}};
  std::ofstream(dir / "config.json") << config.dump(2);
  models::LoadOptions options;
  options.random_weights = true;
  options.seed = 1;
  return models::AutoModel::from_pretrained(dir, options);
}

// Matmul FLOPs of one forward over [batch, seq]: per layer q/k/v/o projections, the two FFN
// matrices, and the attention products QK^T and PV (the pooler is one row per sentence).
double matmul_flops(const Dims& d, int64_t batch, int64_t seq) {
  const double t = double(batch * seq), h = double(d.hidden), i = double(d.intermediate);
  const double linear = 2 * t * h * (4 * h + 2 * i);
  const double attention = 2 * 2 * double(batch) * double(seq) * double(seq) * h;
  return double(d.layers) * (linear + attention) + 2 * double(batch) * h * h;
}

void BM_Encoder(benchmark::State& state, Dims d) {
  const bench::Limits& lim = limits();
  const int64_t batch = state.range(0);
  auto model = random_bert(d);
  std::vector<int64_t> ids(size_t(batch * kSeq));
  for (size_t k = 0; k < ids.size(); ++k) ids[k] = int64_t(100 + (k * 7919) % 30000);
  models::NamedTensors inputs = {
      {"input_ids", Tensor::from_vector(ids, {batch, kSeq})},
      {"attention_mask", Tensor::from_vector(std::vector<int64_t>(ids.size(), 1), {batch, kSeq})},
      {"token_type_ids", Tensor::from_vector(std::vector<int64_t>(ids.size(), 0), {batch, kSeq})}};
  autograd::NoGradGuard no_grad;
  model->forward_named(inputs, false);  // warm-up: allocator caches, weights touched
  bench::Stopwatch sw;
  for (auto _ : state) benchmark::DoNotOptimize(model->forward_named(inputs, false));
  const double it = double(state.iterations()), busy = sw.busy(lim.threads), wall = sw.wall();
  const double gflops = matmul_flops(d, batch, kSeq) * it / busy / 1e9;
  state.counters["sentences/s"] = double(batch) * it / busy;
  state.counters["sentences/s_wall"] = double(batch) * it / wall;
  state.counters["matmul_GFLOP/s"] = gflops;
  state.counters["flop_ratio"] = gflops / lim.sgemm_gflops;
  state.counters["sgemm_GFLOP/s"] = lim.sgemm_gflops;
}
BENCHMARK_CAPTURE(BM_Encoder, MiniLM_L6, kMiniLM)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Encoder, bert_base, kBertBase)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// sgemm alone on the forward's linear shapes (x[rows, in] W^T, W [out, in] as nn.Linear stores
// it): the best the weight products can do here, FLOP-weighted over one layer.
void BM_SgemmLinearShapes(benchmark::State& state, Dims d) {
  const bench::Limits& lim = limits();
  const int rows = int(state.range(0) * kSeq);
  const int h = int(d.hidden), i = int(d.intermediate);
  const std::pair<int, int> shapes[] = {{h, h}, {h, h}, {h, h}, {h, h}, {i, h}, {h, i}};  // (out, in)
  std::vector<float> x(size_t(rows) * std::max(h, i), 0.5f), w(size_t(h) * i, 0.25f), y(size_t(rows) * std::max(h, i));
  double flops = 0;
  for (auto [out, in] : shapes) flops += 2.0 * rows * out * in;
  bench::Stopwatch sw;
  for (auto _ : state)
    for (auto [out, in] : shapes)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x.data(), in, w.data(), in, 0.0f,
                  y.data(), out);
  const double gflops = flops * double(state.iterations()) / sw.busy(lim.threads) / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["flop_ratio"] = gflops / lim.sgemm_gflops;
}
BENCHMARK_CAPTURE(BM_SgemmLinearShapes, MiniLM_L6, kMiniLM)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SgemmLinearShapes, bert_base, kBertBase)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond);

void BM_SgemmPeak(benchmark::State& state) {
  double gflops = 0;
  for (auto _ : state) gflops = bench::sgemm_gflops(2048, limits().threads);
  state.counters["GFLOP/s"] = gflops;
  state.counters["threads"] = limits().threads;
}
BENCHMARK(BM_SgemmPeak)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
