#pragma once
// Download progress on stderr (internal to hub/): a bar redrawn in place on a terminal, one line
// per finished file otherwise, nothing with HF_HUB_DISABLE_PROGRESS_BARS=1.
#include <chrono>
#include <cstdint>
#include <string>

#include "transformers/hub/hub.h"

namespace transformers::hub {

class ProgressReporter {
 public:
  ProgressReporter(const ResolveOptions& options, std::string file);
  // `done` counts resumed bytes too.
  void update(uint64_t done, uint64_t total);
  void finish(uint64_t bytes);

 private:
  void draw(uint64_t done, uint64_t total, bool final);

  const ProgressCallback* callback_;
  std::string file_;
  bool enabled_, terminal_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  uint64_t first_done_ = UINT64_MAX;
};

}  // namespace transformers::hub
