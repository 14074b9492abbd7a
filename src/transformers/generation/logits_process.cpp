#include "transformers/generation/logits_process.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

namespace transformers::generation {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

bool in_vocab(int64_t t, const std::vector<float>& scores) { return t >= 0 && t < int64_t(scores.size()); }

void ban(std::vector<float>& scores, int64_t token) {
  if (in_vocab(token, scores)) scores[size_t(token)] = kNegInf;
}

// softmax in double (probabilities for the warpers' thresholds)
std::vector<double> softmax(const std::vector<float>& scores) {
  const float m = *std::max_element(scores.begin(), scores.end());
  std::vector<double> p(scores.size());
  double total = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    total += p[i] = std::isinf(scores[i]) && scores[i] < 0 ? 0.0 : std::exp(double(scores[i] - m));
  for (double& v : p) v /= total;
  return p;
}

// The k-th largest score (k >= 1).
float kth_largest(const std::vector<float>& scores, int64_t k) {
  std::vector<float> sorted(scores);
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
  return sorted[size_t(k - 1)];
}

// Removes tokens flagged in `remove` but never the min_keep highest-scoring ones.
void remove_keeping_top(std::vector<float>& scores, const std::vector<bool>& remove, int64_t min_keep) {
  const float keep_threshold = kth_largest(scores, std::min<int64_t>(min_keep, int64_t(scores.size())));
  for (size_t i = 0; i < scores.size(); ++i)
    if (remove[i] && scores[i] < keep_threshold) scores[i] = kNegInf;
}

}  // namespace

LogitsProcessorList make_logits_processors(const GenerationConfig& c, int64_t prompt_length, int64_t max_length) {
  LogitsProcessorList list;
  if (c.repetition_penalty != 1.0) {
    const float penalty = float(c.repetition_penalty);
    list.add("RepetitionPenaltyLogitsProcessor", [penalty](const std::vector<int64_t>& ids, std::vector<float>& s) {
      std::set<int64_t> seen(ids.begin(), ids.end());
      for (int64_t t : seen)
        if (in_vocab(t, s)) s[size_t(t)] = s[size_t(t)] < 0 ? s[size_t(t)] * penalty : s[size_t(t)] / penalty;
    });
  }
  if (c.presence_penalty != 0.0 || c.frequency_penalty != 0.0) {
    const float presence = float(c.presence_penalty), frequency = float(c.frequency_penalty);
    list.add("PresenceFrequencyPenalty",
             [presence, frequency, prompt_length](const std::vector<int64_t>& ids, std::vector<float>& s) {
               std::map<int64_t, int64_t> counts;
               for (size_t i = size_t(std::min<int64_t>(prompt_length, int64_t(ids.size()))); i < ids.size(); ++i)
                 ++counts[ids[i]];
               for (const auto& [t, n] : counts)
                 if (in_vocab(t, s)) s[size_t(t)] -= presence + frequency * float(n);
             });
  }
  if (c.no_repeat_ngram_size > 0) {
    const int64_t n = c.no_repeat_ngram_size;
    list.add("NoRepeatNGramLogitsProcessor", [n](const std::vector<int64_t>& ids, std::vector<float>& s) {
      const int64_t len = int64_t(ids.size());
      if (len + 1 < n) return;
      // Every earlier n-gram whose first n-1 tokens equal the last n-1 tokens bans its last token.
      for (int64_t start = 0; start + n <= len; ++start) {
        bool match = true;
        for (int64_t i = 0; i < n - 1 && match; ++i) match = ids[start + i] == ids[len - (n - 1) + i];
        if (match) ban(s, ids[start + n - 1]);
      }
    });
  }
  if (!c.bad_words_ids.empty()) {
    std::vector<std::vector<int64_t>> bad = c.bad_words_ids;
    // HF drops [eos] from bad words.
    bad.erase(std::remove_if(bad.begin(), bad.end(),
                             [&](const std::vector<int64_t>& w) {
                               return w.size() == 1 && std::find(c.eos_token_id.begin(), c.eos_token_id.end(), w[0]) !=
                                                           c.eos_token_id.end();
                             }),
              bad.end());
    list.add("NoBadWordsLogitsProcessor", [bad](const std::vector<int64_t>& ids, std::vector<float>& s) {
      for (const auto& word : bad) {
        const size_t prefix = word.size() - 1;
        if (prefix > ids.size()) continue;
        if (std::equal(word.begin(), word.end() - 1, ids.end() - int64_t(prefix))) ban(s, word.back());
      }
    });
  }
  if (c.min_length > 0 && !c.eos_token_id.empty()) {
    const int64_t min_length = c.min_length;
    const std::vector<int64_t> eos = c.eos_token_id;
    list.add("MinLengthLogitsProcessor", [min_length, eos](const std::vector<int64_t>& ids, std::vector<float>& s) {
      if (int64_t(ids.size()) < min_length)
        for (int64_t e : eos) ban(s, e);
    });
  }
  if (c.min_new_tokens > 0 && !c.eos_token_id.empty()) {
    const int64_t min_new = c.min_new_tokens;
    const std::vector<int64_t> eos = c.eos_token_id;
    list.add("MinNewTokensLengthLogitsProcessor",
             [min_new, eos, prompt_length](const std::vector<int64_t>& ids, std::vector<float>& s) {
               if (int64_t(ids.size()) - prompt_length < min_new)
                 for (int64_t e : eos) ban(s, e);
             });
  }
  if (c.forced_bos_token_id) {
    const int64_t bos = *c.forced_bos_token_id;
    list.add("ForcedBOSTokenLogitsProcessor", [bos](const std::vector<int64_t>& ids, std::vector<float>& s) {
      if (ids.size() != 1 || !in_vocab(bos, s)) return;
      std::fill(s.begin(), s.end(), kNegInf);
      s[size_t(bos)] = 0;
    });
  }
  if (c.forced_eos_token_id) {
    const int64_t eos = *c.forced_eos_token_id;
    list.add("ForcedEOSTokenLogitsProcessor",
             [eos, max_length](const std::vector<int64_t>& ids, std::vector<float>& s) {
               if (int64_t(ids.size()) != max_length - 1 || !in_vocab(eos, s)) return;
               std::fill(s.begin(), s.end(), kNegInf);
               s[size_t(eos)] = 0;
             });
  }
  if (!c.suppress_tokens.empty()) {
    const std::vector<int64_t> tokens = c.suppress_tokens;
    list.add("SuppressTokensLogitsProcessor", [tokens](const std::vector<int64_t>&, std::vector<float>& s) {
      for (int64_t t : tokens) ban(s, t);
    });
  }
  if (!c.begin_suppress_tokens.empty()) {
    const std::vector<int64_t> tokens = c.begin_suppress_tokens;
    const int64_t begin = prompt_length > 1 || !c.forced_bos_token_id ? prompt_length : prompt_length + 1;
    list.add("SuppressTokensAtBeginLogitsProcessor",
             [tokens, begin](const std::vector<int64_t>& ids, std::vector<float>& s) {
               if (int64_t(ids.size()) == begin)
                 for (int64_t t : tokens) ban(s, t);
             });
  }
  return list;
}

LogitsProcessorList make_logits_warpers(const GenerationConfig& c, int64_t min_keep) {
  LogitsProcessorList list;
  if (!c.do_sample) return list;
  if (c.temperature != 1.0) {
    const float t = float(c.temperature);
    list.add("TemperatureLogitsWarper", [t](const std::vector<int64_t>&, std::vector<float>& s) {
      for (float& v : s) v /= t;
    });
  }
  if (c.top_k > 0) {
    const int64_t k = std::max(c.top_k, min_keep);
    list.add("TopKLogitsWarper", [k](const std::vector<int64_t>&, std::vector<float>& s) {
      if (k >= int64_t(s.size())) return;
      const float kth = kth_largest(s, k);
      for (float& v : s)
        if (v < kth) v = kNegInf;
    });
  }
  if (c.top_p < 1.0) {
    const double top_p = c.top_p;
    list.add("TopPLogitsWarper", [top_p, min_keep](const std::vector<int64_t>&, std::vector<float>& s) {
      // Ascending order; drop the low tail whose cumulative probability is <= 1 - top_p.
      std::vector<int64_t> order(s.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] < s[b]; });
      std::vector<double> p = softmax(s);
      double cum = 0;
      const int64_t removable = int64_t(s.size()) - min_keep;
      std::vector<int64_t> drop;
      for (int64_t i = 0; i < removable; ++i) {
        cum += p[size_t(order[i])];
        if (cum <= 1.0 - top_p) drop.push_back(order[i]);
      }
      for (int64_t t : drop) s[size_t(t)] = kNegInf;
    });
  }
  if (c.min_p && *c.min_p > 0) {
    const double min_p = *c.min_p;
    list.add("MinPLogitsWarper", [min_p, min_keep](const std::vector<int64_t>&, std::vector<float>& s) {
      std::vector<double> p = softmax(s);
      const double threshold = min_p * *std::max_element(p.begin(), p.end());
      std::vector<bool> remove(s.size());
      for (size_t i = 0; i < s.size(); ++i) remove[i] = p[i] < threshold;
      remove_keeping_top(s, remove, min_keep);
    });
  }
  if (c.typical_p < 1.0) {
    const double mass = c.typical_p;
    list.add("TypicalLogitsWarper", [mass, min_keep](const std::vector<int64_t>&, std::vector<float>& s) {
      std::vector<double> p = softmax(s);
      double entropy = 0;
      for (double v : p)
        if (v > 0) entropy -= v * std::log(v);
      std::vector<double> shifted(s.size());
      for (size_t i = 0; i < s.size(); ++i) shifted[i] = p[i] > 0 ? std::abs(-std::log(p[i]) - entropy) : INFINITY;
      std::vector<int64_t> order(s.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return shifted[a] < shifted[b]; });
      // last_ind = number of sorted tokens whose cumulative probability is still < mass
      double cum = 0;
      int64_t last = 0;
      for (int64_t i = 0; i < int64_t(s.size()); ++i) {
        cum += p[size_t(order[i])];
        if (cum < mass) last = i + 1;
      }
      last = std::min<int64_t>(last, int64_t(s.size()) - 1);
      const double cutoff = shifted[size_t(order[last])];
      for (int64_t i = min_keep; i < int64_t(s.size()); ++i)
        if (shifted[size_t(order[i])] > cutoff) s[size_t(order[i])] = kNegInf;
    });
  }
  if (c.epsilon_cutoff > 0) {
    const double epsilon = c.epsilon_cutoff;
    list.add("EpsilonLogitsWarper", [epsilon, min_keep](const std::vector<int64_t>&, std::vector<float>& s) {
      std::vector<double> p = softmax(s);
      std::vector<bool> remove(s.size());
      for (size_t i = 0; i < s.size(); ++i) remove[i] = p[i] < epsilon;
      remove_keeping_top(s, remove, min_keep);
    });
  }
  if (c.eta_cutoff > 0) {
    const double epsilon = c.eta_cutoff;
    list.add("EtaLogitsWarper", [epsilon, min_keep](const std::vector<int64_t>&, std::vector<float>& s) {
      std::vector<double> p = softmax(s);
      double entropy = 0;
      for (double v : p)
        if (v > 0) entropy -= v * std::log(v);
      const double eta = std::min(epsilon, std::sqrt(epsilon) * std::exp(-entropy));
      std::vector<bool> remove(s.size());
      for (size_t i = 0; i < s.size(); ++i) remove[i] = p[i] < eta;
      remove_keeping_top(s, remove, min_keep);
    });
  }
  return list;
}

}  // namespace transformers::generation
