#pragma once
// Tensor comparison for parity tests: |ours - ref| <= atol + rtol * |ref| elementwise, reporting
// the first mismatch, both values and the largest difference (llm.c's check_tensor).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "transformers/core/tensor.h"

namespace transformers::testing {

inline ::testing::AssertionResult tensors_close(const Tensor& ours, const Tensor& ref, double atol,
                                                double rtol, const std::string& name) {
  if (ours.shape() != ref.shape())
    return ::testing::AssertionFailure() << name << ": shape " << shape_str(ours.shape())
                                         << " != reference " << shape_str(ref.shape());
  std::vector<double> a = ours.to_vector<double>(), b = ref.to_vector<double>();
  double max_diff = 0;
  int64_t first_bad = -1, bad = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double d = std::abs(a[i] - b[i]);
    if (std::isnan(a[i]) != std::isnan(b[i])) d = INFINITY;
    max_diff = std::max(max_diff, d);
    if (d > atol + rtol * std::abs(b[i])) {
      if (first_bad < 0) first_bad = int64_t(i);
      ++bad;
    }
  }
  if (first_bad < 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << name << ": " << bad << " of " << a.size()
                                       << " elements differ; first at flat index " << first_bad
                                       << " (ours " << a[first_bad] << ", reference " << b[first_bad]
                                       << "), max |diff| " << max_diff;
}

}  // namespace transformers::testing
