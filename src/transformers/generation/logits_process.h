#pragma once
// Logits processors and warpers, Hugging Face's (generation/logits_process.py), applied to one
// row of next-token scores at a time, in the order of GenerationMixin._get_logits_processor.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transformers/generation/configuration_utils.h"

namespace transformers::generation {

// input_ids: the row so far (prompt included); scores: [vocab], modified in place.
using LogitsProcessor = std::function<void(const std::vector<int64_t>& input_ids, std::vector<float>& scores)>;

class LogitsProcessorList {
 public:
  void add(std::string name, LogitsProcessor processor) {
    names_.push_back(std::move(name));
    processors_.push_back(std::move(processor));
  }
  void operator()(const std::vector<int64_t>& input_ids, std::vector<float>& scores) const {
    for (const auto& p : processors_) p(input_ids, scores);
  }
  bool empty() const { return processors_.empty(); }
  // For tests and debugging: the processors in application order.
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::vector<LogitsProcessor> processors_;
};

// Processors that shape the distribution (penalties, bans, forced tokens). prompt_length is the
// input length before generation; max_length the total length generation stops at.
LogitsProcessorList make_logits_processors(const GenerationConfig& config, int64_t prompt_length,
                                           int64_t max_length);
// Sampling warpers (temperature, top-k, top-p, min-p, typical, epsilon, eta); empty unless
// do_sample. min_tokens_to_keep is 1, or 2 for beam sampling, as Hugging Face sets it.
LogitsProcessorList make_logits_warpers(const GenerationConfig& config, int64_t min_tokens_to_keep = 1);

}  // namespace transformers::generation
