// Decoding loops, following transformers' generation/utils.py (_sample, _beam_search) and
// beam_search.py (BeamHypotheses, BeamSearchScorer).
#include "transformers/generation/utils.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/generation/logits_process.h"

namespace transformers::generation {

namespace {

using Rows = std::vector<std::vector<int64_t>>;

Tensor rows_to_tensor(const Rows& rows) {
  const int64_t batch = int64_t(rows.size()), len = rows.empty() ? 0 : int64_t(rows[0].size());
  std::vector<int64_t> flat;
  flat.reserve(size_t(batch * len));
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return Tensor::from_vector(flat, {batch, len});
}

// HF prepare_inputs_for_generation: position_ids = cumsum(mask) - 1, padding positions get 1.
Rows position_ids_from_mask(const Rows& mask) {
  Rows pos(mask.size());
  for (size_t b = 0; b < mask.size(); ++b) {
    int64_t acc = 0;
    for (int64_t m : mask[b]) {
      acc += m;
      pos[b].push_back(m == 0 ? 1 : acc - 1);
    }
  }
  return pos;
}

Rows last_columns(const Rows& rows, int64_t n) {
  Rows out(rows.size());
  for (size_t b = 0; b < rows.size(); ++b) out[b].assign(rows[b].end() - n, rows[b].end());
  return out;
}

// One decoding step's model call: the whole sequence without a cache, the new tokens with one.
// Returns the last position's logits [batch, vocab] as f32 rows.
std::vector<std::vector<float>> next_token_logits(models::CausalLM& model, nn::KVCache* cache, const Rows& ids,
                                                  const Rows& mask) {
  const int64_t total = int64_t(ids[0].size());
  if (cache && model.recompute_cache(cache->seq_length(), total)) cache->crop(0);
  const int64_t past = cache ? cache->seq_length() : 0;
  const int64_t n = total - past;
  models::CausalLMInputs in;
  in.input_ids = rows_to_tensor(last_columns(ids, n));
  in.attention_mask = rows_to_tensor(mask);
  in.position_ids = rows_to_tensor(last_columns(position_ids_from_mask(mask), n));
  in.past_key_values = cache;
  in.logits_to_keep = 1;
  Tensor logits = model.forward(in).logits.select(1, -1).to(DType::Float32).contiguous();  // [batch, vocab]
  const int64_t batch = logits.size(0), vocab = logits.size(1);
  const float* p = logits.data<float>();
  std::vector<std::vector<float>> out(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) out[b].assign(p + b * vocab, p + (b + 1) * vocab);
  return out;
}

bool is_eos(const GenerationConfig& c, int64_t token) {
  return std::find(c.eos_token_id.begin(), c.eos_token_id.end(), token) != c.eos_token_id.end();
}

int64_t argmax(const std::vector<float>& v) {
  return int64_t(std::max_element(v.begin(), v.end()) - v.begin());  // first maximum, as torch
}

void log_softmax_inplace(std::vector<float>& v) {
  float m = *std::max_element(v.begin(), v.end());
  float s = 0;
  for (float x : v) s += std::exp(x - m);
  const float ls = std::log(s);
  for (float& x : v) x = x - m - ls;
}

// True when the row's generated text now ends with one of config.stop_strings.
bool hits_stop_string(const GenerationConfig& c, const TokenDecoder& decode, const std::vector<int64_t>& row,
                      int64_t prompt_len) {
  if (c.stop_strings.empty()) return false;
  size_t longest = 0;
  for (const std::string& s : c.stop_strings) longest = std::max(longest, s.size());
  // Every token decodes to at least one byte (special tokens aside): this many cover the longest.
  const int64_t from = std::max<int64_t>(prompt_len, int64_t(row.size()) - int64_t(longest) - 8);
  const std::string text = decode(std::vector<int64_t>(row.begin() + from, row.end()));
  for (const std::string& s : c.stop_strings)
    if (text.size() >= s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0) return true;
  return false;
}

struct Prompt {
  Rows ids, mask;
  int64_t max_length;
  int64_t pad;
};

Prompt prepare(const models::CausalLM& model, const Tensor& input_ids, const Tensor& attention_mask,
               const GenerationConfig& c) {
  TFM_CHECK(input_ids.defined() && input_ids.dim() == 2 && !is_floating(input_ids.dtype()),
            "[generate] input_ids must be an integer [batch, seq] tensor");
  TFM_CHECK(input_ids.size(0) > 0 && input_ids.size(1) > 0, "[generate] input_ids is empty");
  const int64_t batch = input_ids.size(0), len = input_ids.size(1);
  Prompt p;
  std::vector<int64_t> flat = input_ids.to_vector<int64_t>();
  for (int64_t t : flat)
    TFM_CHECK(t >= 0 && t < model.vocab_size(), "[generate] token id ", t, " is outside the vocabulary (",
              model.vocab_size(), ")");
  std::vector<int64_t> mflat = attention_mask.defined() ? attention_mask.to_vector<int64_t>()
                                                        : std::vector<int64_t>(flat.size(), 1);
  if (!attention_mask.defined() && c.pad_token_id) {
    // HF infers the mask from padding when the pad token occurs and is not an eos token.
    const int64_t pad = *c.pad_token_id;
    const bool pad_in_inputs = std::find(flat.begin(), flat.end(), pad) != flat.end();
    if (pad_in_inputs && !is_eos(c, pad))
      for (size_t i = 0; i < flat.size(); ++i) mflat[i] = flat[i] != pad;
  }
  if (attention_mask.defined())
    TFM_CHECK(attention_mask.shape() == input_ids.shape(), "[generate] attention_mask ",
              shape_str(attention_mask.shape()), " must match input_ids ", shape_str(input_ids.shape()));
  for (int64_t b = 0; b < batch; ++b) {
    p.ids.emplace_back(flat.begin() + b * len, flat.begin() + (b + 1) * len);
    p.mask.emplace_back(mflat.begin() + b * len, mflat.begin() + (b + 1) * len);
  }
  p.max_length = c.max_new_tokens ? len + *c.max_new_tokens : c.max_length;
  // HF: without a pad token, eos pads finished rows.
  p.pad = c.pad_token_id ? *c.pad_token_id : (c.eos_token_id.empty() ? 0 : c.eos_token_id[0]);
  return p;
}

GenerateOutput greedy_or_sample(models::CausalLM& model, Prompt p, const GenerationConfig& c,
                                const GenerateHooks& hooks) {
  const size_t batch = p.ids.size();
  const int64_t prompt_len = int64_t(p.ids[0].size());
  std::unique_ptr<nn::KVCache> cache = c.use_cache ? model.make_cache() : nullptr;
  std::vector<bool> unfinished(batch, true);
  Generator gen(c.seed.value_or(0));
  const LogitsProcessorList processors = make_logits_processors(c, prompt_len, p.max_length);
  const LogitsProcessorList warpers = make_logits_warpers(c);
  while (int64_t(p.ids[0].size()) < p.max_length) {
    std::vector<std::vector<float>> logits = next_token_logits(model, cache.get(), p.ids, p.mask);
    std::vector<int64_t> next(batch);
    for (size_t b = 0; b < batch; ++b) {
      processors(p.ids[b], logits[b]);
      if (c.do_sample) {
        warpers(p.ids[b], logits[b]);
        Tensor probs = ops::softmax(Tensor::from_vector(logits[b], {1, int64_t(logits[b].size())}), -1);
        next[b] = ops::multinomial(probs, 1, false, gen).item<int64_t>();
      } else {
        next[b] = argmax(logits[b]);
      }
      if (!unfinished[b]) next[b] = p.pad;
      p.ids[b].push_back(next[b]);
      p.mask[b].push_back(1);
    }
    if (hooks.on_tokens) hooks.on_tokens(next);
    bool any = false;
    for (size_t b = 0; b < batch; ++b) {
      if (unfinished[b] && (is_eos(c, next[b]) || hits_stop_string(c, hooks.decode, p.ids[b], prompt_len)))
        unfinished[b] = false;
      any = any || unfinished[b];
    }
    if (!any) break;
  }
  return {p.ids, {}};
}

// BeamHypotheses: the num_beams best finished hypotheses of one batch row.
struct BeamHypotheses {
  int64_t num_beams;
  double length_penalty;
  bool early_stopping;
  std::vector<std::pair<double, std::vector<int64_t>>> beams;
  double worst_score = 1e9;

  void add(std::vector<int64_t> hyp, double sum_logprobs, int64_t generated_len) {
    const double score = sum_logprobs / std::pow(double(generated_len), length_penalty);
    if (int64_t(beams.size()) < num_beams || score > worst_score) {
      beams.emplace_back(score, std::move(hyp));
      if (int64_t(beams.size()) > num_beams) {
        auto worst = std::min_element(beams.begin(), beams.end(),
                                      [](const auto& a, const auto& b) { return a.first < b.first; });
        beams.erase(worst);
        worst_score = std::min_element(beams.begin(), beams.end(), [](const auto& a, const auto& b) {
                        return a.first < b.first;
                      })->first;
      } else {
        worst_score = std::min(score, worst_score);
      }
    }
  }

  bool is_done(double best_sum_logprobs, int64_t generated_len) const {
    if (int64_t(beams.size()) < num_beams) return false;
    if (early_stopping) return true;
    const double highest = best_sum_logprobs / std::pow(double(generated_len), length_penalty);
    return worst_score >= highest;
  }
};

GenerateOutput beam_search(models::CausalLM& model, Prompt p, const GenerationConfig& c) {
  const int64_t batch = int64_t(p.ids.size()), K = c.num_beams;
  const int64_t prompt_len = int64_t(p.ids[0].size());
  // Expand each row to K beams: [batch * K, len]
  Rows ids, mask;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < K; ++k) {
      ids.push_back(p.ids[b]);
      mask.push_back(p.mask[b]);
    }
  std::vector<float> beam_scores(static_cast<size_t>(batch * K), 0.0f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 1; k < K; ++k) beam_scores[b * K + k] = -1e9f;
  std::vector<BeamHypotheses> hyps(static_cast<size_t>(batch), BeamHypotheses{K, c.length_penalty, c.early_stopping, {}});
  std::vector<bool> done(static_cast<size_t>(batch), false);
  std::unique_ptr<nn::KVCache> cache = c.use_cache ? model.make_cache() : nullptr;
  const int64_t n_eos = int64_t(c.eos_token_id.size());
  const int64_t keep = std::max<int64_t>(2, 1 + n_eos) * K;
  const LogitsProcessorList processors = make_logits_processors(c, prompt_len, p.max_length);
  const LogitsProcessorList warpers = make_logits_warpers(c, /*min_tokens_to_keep=*/2);  // HF's value with beams
  Generator gen(c.seed.value_or(0));
  while (true) {
    const int64_t cur_len = int64_t(ids[0].size());
    std::vector<std::vector<float>> logits = next_token_logits(model, cache.get(), ids, mask);
    const int64_t vocab = int64_t(logits[0].size());
    std::vector<float> scores;  // [batch, K * vocab]
    scores.reserve(size_t(batch * K * vocab));
    for (int64_t r = 0; r < batch * K; ++r) {
      log_softmax_inplace(logits[r]);
      processors(ids[r], logits[r]);
      if (c.do_sample) warpers(ids[r], logits[r]);  // HF merges the warpers into the processors when sampling
      for (float s : logits[r]) scores.push_back(s + beam_scores[r]);
    }
    std::vector<float> next_scores(static_cast<size_t>(batch * K));
    std::vector<int64_t> next_tokens(static_cast<size_t>(batch * K)), next_beams(static_cast<size_t>(batch * K));
    for (int64_t b = 0; b < batch; ++b) {
      if (done[b]) {
        for (int64_t k = 0; k < K; ++k) {
          next_scores[b * K + k] = 0;
          next_tokens[b * K + k] = p.pad;
          next_beams[b * K + k] = b * K;
        }
        continue;
      }
      const float* row = scores.data() + b * K * vocab;
      std::vector<int64_t> order(static_cast<size_t>(K * vocab));
      std::iota(order.begin(), order.end(), 0);
      int64_t n = std::min<int64_t>(keep, K * vocab);
      auto better = [&](int64_t x, int64_t y) { return row[x] > row[y] || (row[x] == row[y] && x < y); };
      if (!c.do_sample) {
        // top `keep` candidates over K * vocab, sorted descending (ties: lower index first)
        std::partial_sort(order.begin(), order.begin() + n, order.end(), better);
      } else {
        // Note [Beam sampling]: HF's _get_top_k_continuations draws the `keep` candidates without
        // replacement from softmax(scores) and keeps them in the order drawn; the finished ones
        // are the eos among the first num_beams drawn, the running ones the num_beams best of
        // the rest by score. Sorting the non-eos candidates after the first K (whose order
        // decides which eos count) gives the loop below exactly that.
        Tensor probs = ops::softmax(Tensor::from_vector(std::vector<float>(row, row + K * vocab), {1, K * vocab}), -1);
        std::vector<int64_t> drawn = ops::multinomial(probs, n, /*replacement=*/false, gen).to_vector<int64_t>();
        std::copy(drawn.begin(), drawn.end(), order.begin());
        std::vector<int64_t> first(order.begin(), order.begin() + std::min(n, K));
        std::vector<int64_t> running;
        for (int64_t i = 0; i < n; ++i)
          if (!is_eos(c, order[size_t(i)] % vocab)) running.push_back(order[size_t(i)]);
        std::stable_sort(running.begin(), running.end(), better);
        // Ranks 0..K-1 keep the first K drawn (eos among them finish); the running beams are then
        // taken best first from all non-eos candidates.
        std::vector<int64_t> arranged;
        for (int64_t x : first)
          if (is_eos(c, x % vocab)) arranged.push_back(x);
        for (int64_t x : running) arranged.push_back(x);
        std::copy(arranged.begin(), arranged.end(), order.begin());
        n = int64_t(arranged.size());
      }
      int64_t beam_idx = 0;
      for (int64_t rank = 0; rank < n; ++rank) {
        const int64_t token = order[rank] % vocab, beam = order[rank] / vocab;
        const int64_t source = b * K + beam;
        if (is_eos(c, token)) {
          if (rank >= K) continue;  // beyond the top num_beams: not a finished candidate
          hyps[b].add(ids[source], row[order[rank]], cur_len - prompt_len);
        } else {
          next_scores[b * K + beam_idx] = row[order[rank]];
          next_tokens[b * K + beam_idx] = token;
          next_beams[b * K + beam_idx] = source;
          ++beam_idx;
        }
        if (beam_idx == K) break;
      }
      TFM_CHECK(beam_idx == K, "[generate] beam search found fewer than num_beams continuations");
      const int64_t best = *std::min_element(order.begin(), order.begin() + n, better);  // order[0] unsampled
      done[b] = done[b] || hyps[b].is_done(row[best], cur_len - prompt_len);
    }
    Rows new_ids(static_cast<size_t>(batch * K)), new_mask(static_cast<size_t>(batch * K));
    for (int64_t r = 0; r < batch * K; ++r) {
      new_ids[r] = ids[next_beams[r]];
      new_ids[r].push_back(next_tokens[r]);
      new_mask[r] = mask[next_beams[r]];
      new_mask[r].push_back(1);
      beam_scores[r] = next_scores[r];
    }
    ids = std::move(new_ids);
    mask = std::move(new_mask);
    if (cache) cache->reorder(next_beams);
    const bool all_done = std::all_of(done.begin(), done.end(), [](bool d) { return d; });
    if (all_done || int64_t(ids[0].size()) >= p.max_length) break;
  }
  // Finalize: running beams join the hypotheses of unfinished rows.
  GenerateOutput out;
  const int64_t final_len = int64_t(ids[0].size());
  for (int64_t b = 0; b < batch; ++b) {
    if (!done[b])
      for (int64_t k = 0; k < K; ++k) hyps[b].add(ids[b * K + k], beam_scores[b * K + k], final_len - prompt_len);
    auto sorted = hyps[b].beams;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (int64_t i = 0; i < c.num_return_sequences; ++i) {
      out.sequences.push_back(sorted[size_t(i)].second);
      out.sequences_scores.push_back(sorted[size_t(i)].first);
    }
  }
  // A hypothesis that ended with eos (stored without it) gets eos appended, then pad to the longest.
  size_t longest = 0;
  for (auto& s : out.sequences) longest = std::max(longest, s.size());
  const int64_t sent_max_len = std::min<int64_t>(int64_t(longest) + 1, p.max_length);
  for (auto& s : out.sequences) {
    if (int64_t(s.size()) < sent_max_len && !c.eos_token_id.empty()) s.push_back(c.eos_token_id[0]);
    while (int64_t(s.size()) < sent_max_len) s.push_back(p.pad);
  }
  return out;
}


// ---------------------------------------------------------------- assisted decoding

// Prompt lookup (HF's PromptLookupCandidateGenerator): up to num_tokens tokens that followed the
// first earlier occurrence of the sequence's last n-gram, n from max_matching_ngram_size down to 1.
std::vector<int64_t> prompt_lookup_candidates(const std::vector<int64_t>& ids, int64_t max_ngram, int64_t num_tokens,
                                              int64_t budget) {
  const int64_t len = int64_t(ids.size());
  for (int64_t n = std::min(max_ngram, len - 1); n >= 1; --n) {
    for (int64_t start = 0; start + n < len; ++start) {
      if (!std::equal(ids.begin() + start, ids.begin() + start + n, ids.end() - n)) continue;
      const int64_t from = start + n, to = std::min({from + num_tokens, len, from + budget});
      if (to > from) return std::vector<int64_t>(ids.begin() + from, ids.begin() + to);
    }
  }
  return {};
}

// A draft model's greedy continuation; its cache keeps what stays valid between calls.
class DraftProposer {
 public:
  explicit DraftProposer(models::CausalLM& draft) : draft_(draft), cache_(draft.make_cache()) {}

  std::vector<int64_t> propose(const std::vector<int64_t>& ids, int64_t n) {
    // Entries past len - 1 belong to rejected candidates (or the token not yet seen).
    cache_->crop(std::min<int64_t>(cache_->seq_length(), int64_t(ids.size()) - 1));
    std::vector<int64_t> seq = ids;
    std::vector<int64_t> out;
    for (int64_t i = 0; i < n; ++i) {
      Rows rows{seq}, mask{std::vector<int64_t>(seq.size(), 1)};
      const int64_t token = argmax(next_token_logits(draft_, cache_.get(), rows, mask)[0]);
      out.push_back(token);
      seq.push_back(token);
    }
    return out;
  }

 private:
  models::CausalLM& draft_;
  std::unique_ptr<nn::KVCache> cache_;
};

GenerateOutput assisted_greedy(models::CausalLM& model, Prompt p, const GenerationConfig& c,
                               const GenerateHooks& hooks) {
  models::CausalLM* assistant = hooks.assistant_model;
  TFM_CHECK(p.ids.size() == 1, "[generate] assisted decoding supports batch size 1, got ", p.ids.size());
  TFM_CHECK(std::all_of(p.mask[0].begin(), p.mask[0].end(), [](int64_t m) { return m == 1; }),
            "[generate] assisted decoding does not take padding");
  TFM_CHECK(c.use_cache, "[generate] assisted decoding needs use_cache");
  std::vector<int64_t>& ids = p.ids[0];
  const int64_t prompt_len = int64_t(ids.size());
  std::unique_ptr<nn::KVCache> cache = model.make_cache();
  std::unique_ptr<DraftProposer> draft = assistant ? std::make_unique<DraftProposer>(*assistant) : nullptr;
  const LogitsProcessorList processors = make_logits_processors(c, prompt_len, p.max_length);
  while (int64_t(ids.size()) < p.max_length) {
    // Room for the candidates plus the token the model adds itself.
    const int64_t budget = p.max_length - int64_t(ids.size()) - 1;
    std::vector<int64_t> candidates;
    if (budget > 0)
      candidates = draft ? draft->propose(ids, std::min(c.num_assistant_tokens, budget))
                         : prompt_lookup_candidates(ids, c.max_matching_ngram_size, *c.prompt_lookup_num_tokens, budget);
    // One forward over the uncached tokens and the candidates; logits for each candidate slot.
    if (model.recompute_cache(cache->seq_length(), int64_t(ids.size() + candidates.size()))) cache->crop(0);
    const int64_t cached = cache->seq_length();
    std::vector<int64_t> feed(ids.begin() + cached, ids.end());
    feed.insert(feed.end(), candidates.begin(), candidates.end());
    const int64_t total = cached + int64_t(feed.size());
    models::CausalLMInputs in;
    in.input_ids = Tensor::from_vector(feed, {1, int64_t(feed.size())});
    in.position_ids = Tensor::arange(cached, total).unsqueeze(0);
    in.past_key_values = cache.get();
    in.logits_to_keep = int64_t(candidates.size()) + 1;
    Tensor logits = model.forward(in).logits.select(0, 0).to(DType::Float32).contiguous();  // [n + 1, vocab]
    const int64_t vocab = logits.size(1);
    std::vector<int64_t> accepted;
    bool stop = false;
    for (int64_t i = 0; i <= int64_t(candidates.size()) && !stop; ++i) {
      const float* row = logits.data<float>() + i * vocab;
      std::vector<float> scores(row, row + vocab);
      std::vector<int64_t> prefix = ids;
      prefix.insert(prefix.end(), accepted.begin(), accepted.end());
      processors(prefix, scores);
      const int64_t token = argmax(scores);
      accepted.push_back(token);
      stop = is_eos(c, token) || int64_t(ids.size() + accepted.size()) >= p.max_length;
      if (i < int64_t(candidates.size()) && token != candidates[i]) break;
    }
    // The cache holds every candidate; keep the accepted ones (the newest token is not in it).
    cache->crop(int64_t(ids.size() + accepted.size()) - 1);
    for (int64_t t : accepted) {
      ids.push_back(t);
      if (hooks.on_tokens) hooks.on_tokens({t});
      if (hits_stop_string(c, hooks.decode, ids, prompt_len)) {
        stop = true;
        break;
      }
    }
    if (stop) break;
  }
  return {p.ids, {}};
}
}  // namespace

GenerateOutput generate(models::CausalLM& model, const Tensor& input_ids, const Tensor& attention_mask,
                        const GenerationConfig& config, const TokenCallback& on_tokens) {
  return generate(model, input_ids, attention_mask, config, GenerateHooks{on_tokens, nullptr, nullptr});
}

GenerateOutput generate(models::CausalLM& model, const Tensor& input_ids, const Tensor& attention_mask,
                        const GenerationConfig& config, const TokenCallback& on_tokens,
                        models::CausalLM* assistant_model) {
  return generate(model, input_ids, attention_mask, config, GenerateHooks{on_tokens, assistant_model, nullptr});
}

GenerateOutput generate(models::CausalLM& model, const Tensor& input_ids, const Tensor& attention_mask,
                        const GenerationConfig& config, const GenerateHooks& hooks) {
  config.validate();
  TFM_CHECK(config.stop_strings.empty() || hooks.decode,
            "[generate] stop_strings need a tokenizer to decode with (GenerateHooks::decode)");
  autograd::NoGradGuard no_grad;
  Prompt p = prepare(model, input_ids, attention_mask, config);
  if (int64_t(p.ids[0].size()) >= p.max_length) return {p.ids, {}};
  models::CausalLM* assistant_model = hooks.assistant_model;
  if (assistant_model || config.prompt_lookup_num_tokens) {
    TFM_CHECK(!config.do_sample && config.num_beams == 1,
              "[generate] assisted decoding is implemented for greedy search (do_sample=false, num_beams=1)");
    if (assistant_model)
      TFM_CHECK(assistant_model->vocab_size() == model.vocab_size(), "[generate] the assistant's vocabulary (",
                assistant_model->vocab_size(), ") differs from the model's (", model.vocab_size(), ")");
    return assisted_greedy(model, std::move(p), config, hooks);
  }
  if (config.num_beams > 1) {
    TFM_CHECK(config.stop_strings.empty(), "[generate] stop_strings are not supported with beam search yet");
    return beam_search(model, std::move(p), config);
  }
  TFM_CHECK(config.num_return_sequences == 1 || config.do_sample,
            "[generate] greedy search returns one sequence per prompt (num_return_sequences must be 1)");
  if (config.num_return_sequences > 1) {
    Rows ids, mask;
    for (size_t b = 0; b < p.ids.size(); ++b)
      for (int64_t k = 0; k < config.num_return_sequences; ++k) {
        ids.push_back(p.ids[b]);
        mask.push_back(p.mask[b]);
      }
    p.ids = std::move(ids);
    p.mask = std::move(mask);
  }
  return greedy_or_sample(model, std::move(p), config, hooks);
}

}  // namespace transformers::generation
