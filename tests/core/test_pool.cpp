// The decode thread pool: every index exactly once, nested and concurrent calls, thread counts.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "transformers/core/cpu/pool.h"
#include "transformers/core/runtime.h"

using namespace transformers;

namespace {
struct ThreadsGuard {
  int saved = runtime::num_threads();
  ~ThreadsGuard() { runtime::set_num_threads(saved); }
};
}  // namespace

TEST(PoolTest, EveryIndexOnceForAnyGrainAndThreadCount) {
  ThreadsGuard guard;
  for (int threads : {1, 2, 3}) {
    runtime::set_num_threads(threads);
    for (int64_t n : {1, 7, 64, 1000, 4099}) {
      for (int64_t grain : {1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<bool> too_big{false};
        auto f = [&](int64_t b, int64_t e) {
          if (e - b > grain) too_big = true;
          for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
        };
        cpu::parallel_for(n, grain, f);
        EXPECT_FALSE(too_big.load());
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << n << " " << grain << " " << i;
      }
    }
  }
}

TEST(PoolTest, ManyShortLoopsInARow) {
  // Decoding's pattern: hundreds of small loops back to back; each sees only its own work.
  ThreadsGuard guard;
  runtime::set_num_threads(2);
  int64_t total = 0;
  for (int rep = 0; rep < 2000; ++rep) {
    std::atomic<int64_t> sum{0};
    auto f = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sum.fetch_add(i + rep);
    };
    cpu::parallel_for(17, 2, f);
    ASSERT_EQ(sum.load(), 17 * 16 / 2 + 17 * rep);
    total += sum.load();
  }
  EXPECT_GT(total, 0);
}

TEST(PoolTest, NestedAndConcurrentCallsComplete) {
  ThreadsGuard guard;
  runtime::set_num_threads(2);
  std::atomic<int64_t> inner{0};
  auto outer = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      auto f = [&](int64_t ib, int64_t ie) { inner.fetch_add(ie - ib); };
      cpu::parallel_for(10, 1, f);  // runs serially inside a chunk
    }
  };
  cpu::parallel_for(8, 1, outer);
  EXPECT_EQ(inner.load(), 80);
  // Two application threads at once: one gets the pool, the other runs alone; both finish.
  std::atomic<int64_t> a{0}, b{0};
  auto run = [](std::atomic<int64_t>& counter) {
    for (int rep = 0; rep < 200; ++rep) {
      auto f = [&](int64_t s, int64_t e) { counter.fetch_add(e - s); };
      cpu::parallel_for(100, 7, f);
    }
  };
  std::thread t1([&] { run(a); }), t2([&] { run(b); });
  t1.join();
  t2.join();
  EXPECT_EQ(a.load(), 20000);
  EXPECT_EQ(b.load(), 20000);
}
