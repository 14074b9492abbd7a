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

// Hugging Face's StopStringCriteria, per row: a stop string counts when it ends inside the row's
// last token. That token may run past the string ("ing!" stops "ing"), and the string may begin in
// earlier tokens, the prompt included; a string wholly inside earlier tokens does not count (it
// stopped the row when it appeared).
bool hits_stop_string(const GenerationConfig& c, const TokenDecoder& decode, const std::vector<int64_t>& row) {
  if (c.stop_strings.empty() || row.empty()) return false;
  size_t longest = 0;
  for (const std::string& s : c.stop_strings) longest = std::max(longest, s.size());
  // Every token decodes to at least one byte (special tokens aside): this many cover the longest.
  const int64_t from = std::max<int64_t>(0, int64_t(row.size()) - int64_t(longest) - 8);
  std::vector<int64_t> tail(row.begin() + from, row.end());
  const std::string text = decode(tail);
  // Most steps find no stop string anywhere in the tail; only a hit needs the boundary below,
  // which costs a second decode.
  const auto in_text = [&](const std::string& s) { return text.find(s) != std::string::npos; };
  if (std::none_of(c.stop_strings.begin(), c.stop_strings.end(), in_text)) return false;
  tail.pop_back();
  // The text up to the last token: the part of `text` the earlier tokens already decoded to. Not
  // simply their decode's length: a character split across byte tokens decodes to U+FFFD until its
  // last byte arrives, so the earlier decode may be longer than its share of `text`.
  const std::string earlier = decode(tail);
  size_t before = 0;
  while (before < earlier.size() && before < text.size() && earlier[before] == text[before]) ++before;
  for (const std::string& s : c.stop_strings) {
    // An occurrence at `pos` ends inside the last token when pos + size > before.
    const size_t first = before + 1 > s.size() ? before + 1 - s.size() : 0;
    if (text.find(s, first) != std::string::npos) return true;
  }
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
  // Saturated: a huge max_new_tokens means "until a stopping criterion", never an overflow.
  p.max_length = c.max_new_tokens ? len + std::min(*c.max_new_tokens, std::numeric_limits<int64_t>::max() - len)
                                  : c.max_length;
  // HF: without a pad token, eos pads finished rows.
  p.pad = c.pad_token_id ? *c.pad_token_id : (c.eos_token_id.empty() ? 0 : c.eos_token_id[0]);
  return p;
}

// The cache generate() decodes with (GenerationConfig::cache_implementation); null without use_cache.
std::unique_ptr<nn::KVCache> make_generation_cache(const models::CausalLM& model, const GenerationConfig& c,
                                                   int64_t max_length) {
  if (!c.use_cache) return nullptr;
  if (!c.cache_implementation) return model.make_cache();
  const std::string name = cache_storage(*c.cache_implementation);
  // HF sizes its Static/SlidingWindow/HybridCache for max_length - 1 tokens: the last token is never fed back.
  const int64_t static_len = max_length - 1;
  // Every model masks its windows over a cache that keeps all keys (Gemma2/Gemma3 too: where HF's
  // mask slicing fails past the window with these caches, ours stays right).
  if (name == "dynamic") return std::make_unique<nn::DynamicCache>();
  if (name == "static") return std::make_unique<nn::DynamicCache>(0, static_len);
  if (name == "sliding_window") {
    std::unique_ptr<nn::KVCache> sliding = model.make_sliding_window_cache(static_len);
    TFM_CHECK(sliding, "[generate] cache_implementation \"sliding_window\" needs a model whose config sets a "
              "sliding window (Mistral, Phi-3, Qwen2/Qwen3 with use_sliding_window; Gemma2/Gemma3 use \"hybrid\")");
    return sliding;
  }
  // "hybrid": the models whose own cache is HF's HybridCache (Gemma2, Gemma3) build it.
  std::unique_ptr<nn::KVCache> hybrid = model.make_cache(static_len);
  TFM_CHECK(dynamic_cast<nn::SlidingWindowCache*>(hybrid.get()), "[generate] cache_implementation \"hybrid\" "
            "needs a model with a sliding-window hybrid cache (Gemma2, Gemma3)");
  return hybrid;
}

GenerateOutput greedy_or_sample(models::CausalLM& model, Prompt p, const GenerationConfig& c,
                                const GenerateHooks& hooks, nn::KVCache* cache) {
  const size_t batch = p.ids.size();
  const int64_t prompt_len = int64_t(p.ids[0].size());
  std::vector<bool> unfinished(batch, true);
  Generator gen(c.seed.value_or(0));
  const LogitsProcessorList processors = make_logits_processors(c, prompt_len, p.max_length);
  const LogitsProcessorList warpers = make_logits_warpers(c);
  GenerateOutput out;
  while (int64_t(p.ids[0].size()) < p.max_length) {
    std::vector<std::vector<float>> logits = next_token_logits(model, cache, p.ids, p.mask);
    if (c.output_logits) out.logits.push_back(logits);
    std::vector<int64_t> next(batch);
    for (size_t b = 0; b < batch; ++b) {
      processors(p.ids[b], logits[b]);
      if (c.do_sample) warpers(p.ids[b], logits[b]);
    }
    if (c.output_scores) out.scores.push_back(logits);
    for (size_t b = 0; b < batch; ++b) {
      if (c.do_sample) {
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
      if (unfinished[b] && (is_eos(c, next[b]) || hits_stop_string(c, hooks.decode, p.ids[b])))
        unfinished[b] = false;
      any = any || unfinished[b];
    }
    if (!any) break;
  }
  out.sequences = std::move(p.ids);
  return out;
}

// ---------------------------------------------------------------- beam search

// Note [Beam search as in Hugging Face 4.51]: transformers 4.51's _beam_search (the vectorized
// loop of 4.50) keeps, per batch row, num_beams running beams and num_beams finished slots. Each
// step, for each row:
//  1. the keep = max(2, 1 + number of eos tokens) * num_beams best continuations of all its beams
//     by accumulated log-probability (beam sampling: drawn without replacement from the softmax of
//     those scores, in the order drawn; _get_top_k_continuations);
//  2. each candidate is checked against the stopping criteria: max_length, eos and stop_strings.
//     A stop-string hit is handled exactly like eos; the finished sequence keeps its last token;
//  3. the next running beams are the num_beams best candidates after 1e9 is subtracted from those
//     that hit a criterion (_get_running_beams_for_next_iteration): when fewer than num_beams
//     candidates run on cleanly, stopped ones fill the beams with scores near -1e9;
//  4. the candidates among the first num_beams that hit a criterion are offered to the finished
//     slots with score / (new tokens, the stopping one included) ** length_penalty; every other
//     candidate is offered 1e9 lower, and 1e9 more is taken off all of them once every slot holds
//     a finished sequence and early_stopping is true; the slots keep the num_beams best of old and
//     offered (_update_finished_beams).
// The loop goes on while (a) some row can still improve: its best running score divided by
// (cur_len - prompt) ** length_penalty (by (max_length - prompt) ** length_penalty when
// early_stopping is "never" and length_penalty > 0) beats its worst finished score (a row with an
// empty slot always can); (b) early_stopping is not true or some row has an empty slot; (c) some candidate of
// some row did not stop (max_length stops them all). 4.51 decides (a) over the whole batch, so a
// row that cannot improve keeps running, and taking better finished sequences, while another row
// can (later versions decide per row, transformers PR #38778); followed here as 4.51 does it.
// Scores are float32, and the -1e9 offsets are added in float32, as HF computes them.

constexpr float kStopped = -1.0e9f;  // HF's offset for candidates taken out of a selection

// The first k indices of `values` by decreasing value; ties keep the lower index first.
std::vector<int64_t> top_indices(const float* values, int64_t n, int64_t k) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, n);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t x, int64_t y) {
    return values[x] > values[y] || (values[x] == values[y] && x < y);
  });
  order.resize(static_cast<size_t>(k));
  return order;
}

struct BeamCandidate {
  std::vector<int64_t> ids;      // the extended sequence
  std::vector<int64_t> sources;  // per new token, the running row (batch * num_beams + beam) it came from;
                                 // the last one is the row this candidate extends
  float score;                   // accumulated log-probability
  bool stops;                    // hits a stopping criterion
};

struct FinishedSlot {
  std::vector<int64_t> ids;  // prompt + new tokens
  std::vector<int64_t> sources;
  float score = kStopped;
  bool finished = false;
};

GenerateOutput beam_search(models::CausalLM& model, Prompt p, const GenerationConfig& c, const GenerateHooks& hooks,
                           nn::KVCache* cache) {
  const int64_t batch = int64_t(p.ids.size()), K = c.num_beams;
  const int64_t prompt_len = int64_t(p.ids[0].size());
  Rows running, mask, running_sources;  // [batch * K]
  std::vector<float> running_scores(static_cast<size_t>(batch * K), 0.0f);
  running_sources.resize(size_t(batch * K));
  GenerateOutput out;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t k = 0; k < K; ++k) {
      running.push_back(p.ids[b]);
      mask.push_back(p.mask[b]);
      if (k > 0) running_scores[size_t(b * K + k)] = kStopped;  // only beam 0 proposes the first token
    }
  std::vector<std::vector<FinishedSlot>> slots(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) slots[size_t(b)].assign(size_t(K), FinishedSlot{p.ids[b], {}, kStopped, false});
  const int64_t keep = std::max<int64_t>(2, 1 + int64_t(c.eos_token_id.size())) * K;
  const bool early_stop = c.early_stopping.value == EarlyStopping::kTrue;
  const LogitsProcessorList processors = make_logits_processors(c, prompt_len, p.max_length);
  const LogitsProcessorList warpers = make_logits_warpers(c, /*min_tokens_to_keep=*/2);  // HF's value with beams
  Generator gen(c.seed.value_or(0));
  while (true) {
    const int64_t cur_len = int64_t(running[0].size());
    std::vector<std::vector<float>> logits = next_token_logits(model, cache, running, mask);
    if (c.output_logits) out.logits.push_back(logits);
    const int64_t vocab = int64_t(logits[0].size());
    std::vector<float> scores;  // [batch, K * vocab]
    scores.reserve(size_t(batch * K * vocab));
    for (int64_t r = 0; r < batch * K; ++r) {
      log_softmax_inplace(logits[r]);
      processors(running[r], logits[r]);
      if (c.do_sample) warpers(running[r], logits[r]);  // HF merges the warpers into the processors when sampling
      for (float s : logits[r]) scores.push_back(s + running_scores[r]);
    }
    if (c.output_scores) out.scores.push_back(std::move(logits));
    Rows next_running(static_cast<size_t>(batch * K)), next_mask(static_cast<size_t>(batch * K));
    Rows next_sources(static_cast<size_t>(batch * K));
    std::vector<float> next_scores(static_cast<size_t>(batch * K));
    std::vector<int64_t> sources(static_cast<size_t>(batch * K));
    bool every_candidate_stops = true;
    // Finished scores are divided by the new-token count, the stopping token included.
    const float length_norm = float(std::pow(double(cur_len + 1 - prompt_len), c.length_penalty));
    for (int64_t b = 0; b < batch; ++b) {
      // 1. candidates
      const float* row = scores.data() + b * K * vocab;
      std::vector<int64_t> picked;
      if (c.do_sample) {
        Tensor probs = ops::softmax(Tensor::from_vector(std::vector<float>(row, row + K * vocab), {1, K * vocab}), -1);
        picked = ops::multinomial(probs, std::min(keep, K * vocab), /*replacement=*/false, gen).to_vector<int64_t>();
      } else {
        picked = top_indices(row, K * vocab, keep);
      }
      const int64_t n = int64_t(picked.size());
      TFM_CHECK(n >= K, "[generate] beam search needs at least num_beams (", K,
                ") candidates, the vocabulary gives ", n);
      // 2. stopping criteria
      std::vector<BeamCandidate> cands;
      for (int64_t flat : picked) {
        const int64_t source = b * K + flat / vocab, token = flat % vocab;
        BeamCandidate cand{running[size_t(source)], running_sources[size_t(source)], row[flat], false};
        cand.ids.push_back(token);
        cand.sources.push_back(source);
        cand.stops = int64_t(cand.ids.size()) >= p.max_length || is_eos(c, token) ||
                     hits_stop_string(c, hooks.decode, cand.ids);
        every_candidate_stops = every_candidate_stops && cand.stops;
        cands.push_back(std::move(cand));
      }
      // 3. the next running beams
      std::vector<float> running_key(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        running_key[size_t(i)] = cands[size_t(i)].score + (cands[size_t(i)].stops ? kStopped : 0.0f);
      const std::vector<int64_t> next = top_indices(running_key.data(), n, K);
      for (int64_t k = 0; k < K; ++k) {
        const BeamCandidate& cand = cands[size_t(next[size_t(k)])];
        next_running[size_t(b * K + k)] = cand.ids;
        next_sources[size_t(b * K + k)] = cand.sources;
        next_mask[size_t(b * K + k)] = mask[size_t(cand.sources.back())];
        next_mask[size_t(b * K + k)].push_back(1);
        next_scores[size_t(b * K + k)] = running_key[size_t(next[size_t(k)])];
        sources[size_t(b * K + k)] = cand.sources.back();
      }
      // 4. the finished slots
      std::vector<FinishedSlot>& row_slots = slots[size_t(b)];
      const bool full = early_stop && std::all_of(row_slots.begin(), row_slots.end(),
                                                  [](const FinishedSlot& s) { return s.finished; });
      std::vector<float> merged;
      for (const FinishedSlot& s : row_slots) merged.push_back(s.score);
      for (int64_t i = 0; i < n; ++i) {
        const bool finishes = cands[size_t(i)].stops && i < K;
        float score = cands[size_t(i)].score / length_norm;
        score += full ? kStopped : 0.0f;
        score += finishes ? 0.0f : kStopped;
        merged.push_back(score);
      }
      std::vector<FinishedSlot> kept;
      for (int64_t m : top_indices(merged.data(), int64_t(merged.size()), K)) {
        if (m < K) {
          kept.push_back(row_slots[size_t(m)]);
        } else {
          const int64_t i = m - K;
          kept.push_back(FinishedSlot{cands[size_t(i)].ids, cands[size_t(i)].sources, merged[size_t(m)],
                                      cands[size_t(i)].stops && i < K});
        }
      }
      row_slots = std::move(kept);
    }
    if (cache) cache->reorder(sources);
    running = std::move(next_running);
    running_sources = std::move(next_sources);
    mask = std::move(next_mask);
    running_scores = std::move(next_scores);
    // Can any row still improve? (HF's _beam_search_has_unfinished_sequences, over the whole batch)
    const int64_t new_len = cur_len + 1;
    // early_stopping "never" with a positive length_penalty: the best the running beam could score,
    // at max_length (a longer sequence divides by more).
    const bool never = c.early_stopping.value == EarlyStopping::kNever && c.length_penalty > 0.0;
    const float best_norm = float(std::pow(double((never ? p.max_length : new_len) - prompt_len), c.length_penalty));
    bool improvement_possible = false, all_finished = true;
    for (int64_t b = 0; b < batch; ++b) {
      const std::vector<FinishedSlot>& row_slots = slots[size_t(b)];
      const float best_possible = running_scores[size_t(b * K)] / best_norm;
      float worst = row_slots[0].score;
      for (const FinishedSlot& s : row_slots) worst = std::min(worst, s.score);
      for (const FinishedSlot& s : row_slots) {
        improvement_possible = improvement_possible || best_possible > (s.finished ? worst : kStopped);
        all_finished = all_finished && s.finished;
      }
    }
    const bool open_beam = !(all_finished && early_stop);
    if (!(improvement_possible && open_beam && !every_candidate_stops)) break;
  }
  // The num_return_sequences best slots of each row, cut to the longest returned and filled after
  // each shorter one with HF's fill value: `pad_token_id or eos_token_id[0]` when there is an eos
  // token (a pad id of 0 reads as false, so eos fills then), else -1.
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < c.num_return_sequences; ++i) {
      out.sequences.push_back(slots[size_t(b)][size_t(i)].ids);
      out.sequences_scores.push_back(double(slots[size_t(b)][size_t(i)].score));
      out.beam_indices.push_back(slots[size_t(b)][size_t(i)].sources);
    }
  int64_t fill = -1;
  if (!c.eos_token_id.empty()) fill = c.pad_token_id && *c.pad_token_id != 0 ? *c.pad_token_id : c.eos_token_id[0];
  size_t longest = 0;
  for (const auto& seq : out.sequences) longest = std::max(longest, seq.size());
  for (auto& seq : out.sequences) seq.resize(longest, fill);
  for (auto& sources : out.beam_indices) sources.resize(longest - size_t(prompt_len), -1);
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
  explicit DraftProposer(models::CausalLM& draft) : draft_(draft), cache_(std::make_unique<nn::DynamicCache>()) {}

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
  // Rejected candidates are cropped off, so the cache must rewind: HF's generate() also decodes
  // assisted generation with a DynamicCache, whatever the model's default cache.
  std::unique_ptr<nn::KVCache> cache = std::make_unique<nn::DynamicCache>();
  std::unique_ptr<DraftProposer> draft = assistant ? std::make_unique<DraftProposer>(*assistant) : nullptr;
  const LogitsProcessorList processors = make_logits_processors(c, prompt_len, p.max_length);
  GenerateOutput out;
  while (int64_t(ids.size()) < p.max_length) {
    // Room for the candidates plus the token the model adds itself.
    const int64_t budget = p.max_length - int64_t(ids.size()) - 1;
    std::vector<int64_t> candidates;
    if (budget > 0)
      candidates = draft ? draft->propose(ids, std::min(c.num_assistant_tokens, budget))
                         : prompt_lookup_candidates(ids, c.max_matching_ngram_size,
                                                    *c.prompt_lookup_num_tokens, budget);
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
    std::vector<std::vector<float>> accepted_scores, accepted_logits;
    bool stop = false;
    for (int64_t i = 0; i <= int64_t(candidates.size()) && !stop; ++i) {
      const float* row = logits.data<float>() + i * vocab;
      std::vector<float> scores(row, row + vocab);
      if (c.output_logits) accepted_logits.push_back(scores);
      std::vector<int64_t> prefix = ids;
      prefix.insert(prefix.end(), accepted.begin(), accepted.end());
      processors(prefix, scores);
      const int64_t token = argmax(scores);
      if (c.output_scores) accepted_scores.push_back(scores);
      accepted.push_back(token);
      stop = is_eos(c, token) || int64_t(ids.size() + accepted.size()) >= p.max_length;
      if (i < int64_t(candidates.size()) && token != candidates[i]) break;
    }
    // The cache holds every candidate; keep the accepted ones (the newest token is not in it).
    cache->crop(int64_t(ids.size() + accepted.size()) - 1);
    for (size_t a = 0; a < accepted.size(); ++a) {
      const int64_t t = accepted[a];
      ids.push_back(t);
      if (c.output_scores) out.scores.push_back({std::move(accepted_scores[a])});
      if (c.output_logits) out.logits.push_back({std::move(accepted_logits[a])});
      if (hooks.on_tokens) hooks.on_tokens({t});
      if (hits_stop_string(c, hooks.decode, ids)) {
        stop = true;
        break;
      }
    }
    if (stop) break;
  }
  out.sequences = std::move(p.ids);
  return out;
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
  // As HF's "`streamer` cannot be used with beam search": beams are only known at the end.
  TFM_CHECK(!hooks.on_tokens || config.num_beams == 1,
            "[generate] a token callback (streamer) cannot be used with beam search; set num_beams to 1");
  autograd::NoGradGuard no_grad;
  Prompt p = prepare(model, input_ids, attention_mask, config);
  if (int64_t(p.ids[0].size()) >= p.max_length) {  // nothing to generate
    GenerateOutput out;
    out.sequences = std::move(p.ids);
    return out;
  }
  models::CausalLM* assistant_model = hooks.assistant_model;
  if (assistant_model || config.prompt_lookup_num_tokens) {
    TFM_CHECK(!hooks.past_key_values, "[generate] past_key_values is not supported with assisted decoding");
    TFM_CHECK(!config.do_sample && config.num_beams == 1,
              "[generate] assisted decoding is implemented for greedy search (do_sample=false, num_beams=1)");
    // HF: with an assistant model generate() warns and ignores cache_implementation; prompt lookup
    // raises for the static-shaped caches.
    const bool rewinds = !config.cache_implementation || cache_storage(*config.cache_implementation) == "dynamic";
    TFM_CHECK(assistant_model || rewinds, "[generate] assisted decoding needs a cache that can rewind; ",
              "cache_implementation \"", config.cache_implementation.value_or(""),
              "\" is not supported with prompt lookup (as in Hugging Face)");
    if (assistant_model)
      TFM_CHECK(assistant_model->vocab_size() == model.vocab_size(), "[generate] the assistant's vocabulary (",
                assistant_model->vocab_size(), ") differs from the model's (", model.vocab_size(), ")");
    return assisted_greedy(model, std::move(p), config, hooks);
  }
  if (hooks.past_key_values) {
    TFM_CHECK(!config.cache_implementation, "[generate] past_key_values and cache_implementation (\"",
              *config.cache_implementation, "\") cannot both be set");
    TFM_CHECK(config.use_cache, "[generate] past_key_values needs use_cache");
    TFM_CHECK(config.num_beams == 1 && config.num_return_sequences == 1,
              "[generate] past_key_values is supported with greedy search and sampling, one sequence per prompt");
    const int64_t cached = hooks.past_key_values->seq_length();
    TFM_CHECK(cached < int64_t(p.ids[0].size()), "[generate] past_key_values holds ", cached,
              " tokens; the prompt must be longer (it has ", p.ids[0].size(), ")");
    return greedy_or_sample(model, std::move(p), config, hooks, hooks.past_key_values);
  }
  std::unique_ptr<nn::KVCache> cache = make_generation_cache(model, config, p.max_length);
  if (config.num_beams > 1) return beam_search(model, std::move(p), config, hooks, cache.get());
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
  return greedy_or_sample(model, std::move(p), config, hooks, cache.get());
}

}  // namespace transformers::generation
