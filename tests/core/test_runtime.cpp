// Runtime settings (thread count, SIMD level) and the caching allocator.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdint>
#include <string>

#include "transformers/core/allocator.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/core/runtime.h"

using namespace transformers;

namespace {
class ThreadsGuard {
 public:
  ThreadsGuard() : previous_(runtime::num_threads()) {}
  ~ThreadsGuard() { runtime::set_num_threads(previous_); }

 private:
  int previous_;
};

int team_size() {
  int n = 0;
#pragma omp parallel
  {
#pragma omp single
    n = omp_get_num_threads();
  }
  return n;
}
}  // namespace

TEST(RuntimeTest, SetNumThreadsControlsThePool) {
  ThreadsGuard guard;
  runtime::set_num_threads(1);
  EXPECT_EQ(runtime::num_threads(), 1);
  EXPECT_EQ(team_size(), 1);
  runtime::set_num_threads(3);
  EXPECT_EQ(runtime::num_threads(), 3);
  EXPECT_EQ(team_size(), 3);
  runtime::set_num_threads(0);  // clamped
  EXPECT_EQ(runtime::num_threads(), 1);
}

TEST(RuntimeTest, ResultsDoNotDependOnThreadCount) {
  // gemv and attention split work by output; each output is computed by one thread in the same
  // order, so the results are bitwise equal for any thread count.
  ThreadsGuard guard;
  Generator gen(1);
  Tensor x = ops::randn({3, 300}, gen), w = ops::randn({257, 300}, gen).to(DType::BFloat16);
  Tensor q = ops::randn({1, 4, 5, 64}, gen), k = ops::randn({1, 2, 70, 64}, gen), v = ops::randn({1, 2, 70, 64}, gen);
  ops::AttentionOptions o;
  o.scale = 0.125;
  o.is_causal = true;
  o.q_offset = 65;
  Tensor xs = ops::randn({40, 300}, gen);
  runtime::set_num_threads(1);
  std::vector<float> y1 = ops::linear(x, w).to_vector<float>();
  std::vector<float> a1 = ops::scaled_dot_product_attention(q, k, v, o).to_vector<float>();
  std::vector<float> p1 = ops::linear(xs, w).to_vector<float>();
  runtime::set_num_threads(4);
  EXPECT_EQ(ops::linear(x, w).to_vector<float>(), y1);
  EXPECT_EQ(ops::scaled_dot_product_attention(q, k, v, o).to_vector<float>(), a1);
  // Many rows: tiles of converted weights through sgemm, whose blocking may follow the tiles.
  std::vector<float> p4 = ops::linear(xs, w).to_vector<float>();
  for (size_t i = 0; i < p1.size(); ++i) ASSERT_NEAR(p4[i], p1[i], 1e-4 * (1 + std::abs(p1[i])));
}

TEST(RuntimeTest, SimdLevelCanBeLoweredAndRestored) {
  const runtime::SimdLevel detected = runtime::simd_level();
  runtime::set_simd_level(runtime::SimdLevel::Scalar);
  EXPECT_EQ(runtime::simd_level(), runtime::SimdLevel::Scalar);
  EXPECT_EQ(std::string(runtime::simd_level_name()), "scalar");
  runtime::set_simd_level(runtime::SimdLevel::Avx2);  // never above what the CPU has
  EXPECT_EQ(runtime::simd_level(), detected);
}

TEST(AllocatorTest, CachesFreedBlocksBySize) {
  allocator::empty_cache();
  const allocator::Stats s0 = allocator::stats();
  EXPECT_EQ(s0.bytes_cached, 0u);
  void* p = allocator::allocate(1000);  // rounded up to 1024 (64-byte multiples)
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  EXPECT_EQ(allocator::stats().bytes_in_use, s0.bytes_in_use + 1024);
  EXPECT_GE(allocator::stats().peak_bytes_in_use, s0.bytes_in_use + 1024);
  allocator::release(p, 1000);
  EXPECT_EQ(allocator::stats().bytes_in_use, s0.bytes_in_use);
  EXPECT_EQ(allocator::stats().bytes_cached, 1024u);
  // The same rounded size comes back from the cache; another size does not take it.
  void* other = allocator::allocate(2048);
  EXPECT_NE(other, p);
  EXPECT_EQ(allocator::stats().bytes_cached, 1024u);
  void* again = allocator::allocate(1010);
  EXPECT_EQ(again, p);
  EXPECT_EQ(allocator::stats().bytes_cached, 0u);
  allocator::release(again, 1010);
  allocator::release(other, 2048);
  EXPECT_EQ(allocator::stats().bytes_cached, 1024u + 2048u);
  allocator::empty_cache();
  EXPECT_EQ(allocator::stats().bytes_cached, 0u);
}

TEST(AllocatorTest, TensorsReuseBlocksAndHugeBlocksAreNotCached) {
  allocator::empty_cache();
  const void* first;
  {
    Tensor t = Tensor::empty({256, 256});  // 256 KiB
    first = t.raw_data();
  }
  EXPECT_EQ(allocator::stats().bytes_cached, size_t(256 * 256 * 4));
  {
    Tensor t = Tensor::zeros({256, 256});  // the decode loop's same-shaped temporary
    EXPECT_EQ(t.raw_data(), first);
  }
  allocator::empty_cache();
  const size_t huge = size_t(300) << 20;  // above the 256 MiB cacheable block size
  void* h = allocator::allocate(huge);
  allocator::release(h, huge);
  EXPECT_EQ(allocator::stats().bytes_cached, 0u);
}
