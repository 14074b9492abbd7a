#include "transformers/pipelines/token_classification.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/encoder_inputs.h"

namespace transformers::pipelines {

AggregationStrategy parse_aggregation_strategy(const std::string& name) {
  std::string s = name;
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (s == "none") return AggregationStrategy::None;
  if (s == "simple") return AggregationStrategy::Simple;
  if (s == "first") return AggregationStrategy::First;
  if (s == "average") return AggregationStrategy::Average;
  if (s == "max") return AggregationStrategy::Max;
  throw Error("[pipeline] token-classification: aggregation_strategy must be none, simple, first, "
              "average or max, got '" + name + "'");
}

std::vector<PreEntity> gather_pre_entities(const std::string& sentence, const std::vector<std::string>& tokens,
                                           const std::vector<int32_t>& input_ids,
                                           const std::vector<std::vector<double>>& scores,
                                           const std::vector<std::pair<size_t, size_t>>& offsets,
                                           const std::vector<int32_t>& special_tokens_mask,
                                           std::optional<int32_t> unk_token_id, bool has_subword_prefix) {
  CodePoints text(sentence);
  std::vector<PreEntity> out;
  for (size_t idx = 0; idx < scores.size(); ++idx) {
    if (special_tokens_mask[idx]) continue;
    auto [start, end] = offsets[idx];
    std::string word = tokens[idx];
    const std::string word_ref = text.slice(start, end);
    bool is_subword;
    if (has_subword_prefix) {
      // Word-aware model: a continuation token's string is longer than its text ("##ing" vs "ing").
      is_subword = code_point_length(word) != code_point_length(word_ref);
    } else {
      // HF's fallback heuristic: a token is a subword when neither it nor the character before
      // it is a space.
      is_subword = start > 0 && text.slice(start - 1, start + 1).find(' ') == std::string::npos;
    }
    if (unk_token_id && input_ids[idx] == *unk_token_id) {
      word = word_ref;
      is_subword = false;
    }
    out.push_back({word, scores[idx], int64_t(start), int64_t(end), int64_t(idx), is_subword});
  }
  return out;
}

namespace {

size_t argmax(const std::vector<double>& v) {
  return size_t(std::max_element(v.begin(), v.end()) - v.begin());  // first of equal maxima, as numpy
}

std::string label_of(const std::map<int64_t, std::string>& id2label, size_t i) {
  auto it = id2label.find(int64_t(i));
  return it != id2label.end() ? it->second : "LABEL_" + std::to_string(i);
}

// HF aggregate_word: one word's tokens -> one entity.
TokenEntity aggregate_word(const std::vector<const PreEntity*>& tokens, AggregationStrategy strategy,
                           const std::map<int64_t, std::string>& id2label, const TokensToString& to_string) {
  std::vector<std::string> words;
  for (const PreEntity* t : tokens) words.push_back(t->word);
  std::vector<double> scores;
  if (strategy == AggregationStrategy::First) {
    scores = tokens[0]->scores;
  } else if (strategy == AggregationStrategy::Max) {
    const PreEntity* best = tokens[0];  // the first token with the highest top score
    for (const PreEntity* t : tokens)
      if (*std::max_element(t->scores.begin(), t->scores.end()) >
          *std::max_element(best->scores.begin(), best->scores.end()))
        best = t;
    scores = best->scores;
  } else if (strategy == AggregationStrategy::Average) {
    scores.assign(tokens[0]->scores.size(), 0.0);
    for (const PreEntity* t : tokens)
      for (size_t k = 0; k < scores.size(); ++k) scores[k] += t->scores[k];
    for (double& s : scores) s /= double(tokens.size());
  } else {
    throw Error("[pipeline] token-classification: invalid aggregation strategy for words");
  }
  const size_t idx = argmax(scores);
  return {label_of(id2label, idx), scores[idx], std::nullopt, to_string(words), tokens.front()->start,
          tokens.back()->end};
}

// B-X / I-X -> (B|I, X); a label without the prefix counts as a continuation (I).
std::pair<char, std::string> get_tag(const std::string& name) {
  if (name.rfind("B-", 0) == 0) return {'B', name.substr(2)};
  if (name.rfind("I-", 0) == 0) return {'I', name.substr(2)};
  return {'I', name};
}

// HF group_sub_entities: adjacent entities of one tag -> one group (mean score, decoded words).
TokenEntity group_sub_entities(const std::vector<TokenEntity>& entities, const TokensToString& to_string) {
  const std::string& first = entities[0].entity;
  const size_t dash = first.find('-');
  std::string tag = dash == std::string::npos ? first : first.substr(dash + 1);
  double sum = 0;
  std::vector<std::string> words;
  for (const TokenEntity& e : entities) {
    sum += e.score;
    words.push_back(e.word);
  }
  return {tag, sum / double(entities.size()), std::nullopt, to_string(words), entities.front().start,
          entities.back().end};
}

std::vector<TokenEntity> group_entities(const std::vector<TokenEntity>& entities, const TokensToString& to_string) {
  std::vector<TokenEntity> groups, current;
  for (const TokenEntity& e : entities) {
    if (current.empty()) {
      current.push_back(e);
      continue;
    }
    auto [bi, tag] = get_tag(e.entity);
    auto [last_bi, last_tag] = get_tag(current.back().entity);
    if (tag == last_tag && bi != 'B') {
      current.push_back(e);
    } else {
      groups.push_back(group_sub_entities(current, to_string));
      current = {e};
    }
  }
  if (!current.empty()) groups.push_back(group_sub_entities(current, to_string));
  return groups;
}

}  // namespace

std::vector<TokenEntity> aggregate_entities(const std::vector<PreEntity>& pre_entities, AggregationStrategy strategy,
                                            const std::map<int64_t, std::string>& id2label,
                                            const TokensToString& tokens_to_string,
                                            const std::vector<std::string>& ignore_labels) {
  std::vector<TokenEntity> entities;
  if (strategy == AggregationStrategy::None || strategy == AggregationStrategy::Simple) {
    for (const PreEntity& p : pre_entities) {
      const size_t idx = argmax(p.scores);
      entities.push_back({label_of(id2label, idx), p.scores[idx], p.index, p.word, p.start, p.end});
    }
  } else {
    // Words: a token that is not a subword starts a new one.
    std::vector<const PreEntity*> word;
    for (const PreEntity& p : pre_entities) {
      if (!word.empty() && !p.is_subword) {
        entities.push_back(aggregate_word(word, strategy, id2label, tokens_to_string));
        word.clear();
      }
      word.push_back(&p);
    }
    if (!word.empty()) entities.push_back(aggregate_word(word, strategy, id2label, tokens_to_string));
  }
  if (strategy != AggregationStrategy::None) entities = group_entities(entities, tokens_to_string);
  std::vector<TokenEntity> kept;
  for (TokenEntity& e : entities)
    if (std::find(ignore_labels.begin(), ignore_labels.end(), e.entity) == ignore_labels.end())
      kept.push_back(std::move(e));
  return kept;
}

std::vector<TokenEntity> aggregate_overlapping_entities(std::vector<TokenEntity> entities) {
  if (entities.empty()) return entities;
  std::stable_sort(entities.begin(), entities.end(),
                   [](const TokenEntity& a, const TokenEntity& b) { return a.start < b.start; });
  std::vector<TokenEntity> out;
  TokenEntity previous = entities[0];
  for (const TokenEntity& e : entities) {
    if (previous.start <= e.start && e.start < previous.end) {
      const int64_t length = e.end - e.start, previous_length = previous.end - previous.start;
      if (length > previous_length || (length == previous_length && e.score > previous.score)) previous = e;
    } else {
      out.push_back(previous);
      previous = e;
    }
  }
  out.push_back(previous);
  return out;
}

std::string token_classification_to_json(const std::vector<std::vector<TokenEntity>>& results) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& row : results) {
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const TokenEntity& e : row) {
      nlohmann::ordered_json o;
      if (e.index) {
        o["entity"] = e.entity;
        o["score"] = e.score;
        o["index"] = *e.index;
      } else {
        o["entity_group"] = e.entity;
        o["score"] = e.score;
      }
      o["word"] = e.word;
      o["start"] = e.start;
      o["end"] = e.end;
      items.push_back(std::move(o));
    }
    out.push_back(std::move(items));
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<TokenClassificationPipeline> TokenClassificationPipeline::from_pretrained(
    const std::filesystem::path& model_dir, const models::LoadOptions& options) {
  return std::make_unique<TokenClassificationPipeline>(
      models::AutoModel::from_pretrained(model_dir, options),
      std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(model_dir)));
}

TokenClassificationPipeline::TokenClassificationPipeline(std::unique_ptr<models::PreTrainedModel> model,
                                                         std::unique_ptr<tok::PreTrainedTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), strings_(*tokenizer_) {}

std::vector<std::vector<TokenEntity>> TokenClassificationPipeline::operator()(
    const std::vector<std::string>& texts, const TokenClassificationOptions& options) {
  if (texts.empty()) return {};
  const std::vector<std::string> ignore = options.ignore_labels.value_or(std::vector<std::string>{"O"});
  tok::EncodeOptions e;
  e.truncation = true;  // to model_max_length, as HF's preprocess
  if (options.stride) {
    TFM_CHECK(*options.stride >= 0 && size_t(*options.stride) < tokenizer_->model_max_length,
              "[pipeline] token-classification: `stride` must be less than tokenizer.model_max_length (",
              tokenizer_->model_max_length, "), got ", *options.stride);
    TFM_CHECK(options.aggregation_strategy != AggregationStrategy::None,
              "[pipeline] token-classification: `stride` was provided to process all the text but "
              "aggregation_strategy is none; choose simple, first, average or max");
    e.stride = size_t(*options.stride);
    e.return_overflowing_tokens = true;
  }
  tok::BatchEncoding batch = tokenizer_->encode_batch(texts, e);
  std::vector<size_t> sample;
  std::vector<const tok::Encoding*> rows = flatten_windows(batch.encodings, e.return_overflowing_tokens, &sample);
  Tensor logits = forward_output(*model_, to_model_inputs(rows, model_input_names(*tokenizer_),
                                                          tokenizer_->pad_token_id().value_or(0)),
                                 "logits", "token-classification");
  TFM_CHECK(logits.dim() == 3, "[pipeline] token-classification needs [batch, seq, labels] logits "
            "(a ...ForTokenClassification architecture)");
  const int64_t seq = logits.size(1), num_labels = logits.size(2);
  const float* data = logits.data<float>();
  const TokensToString to_string = [this](const std::vector<std::string>& t) {
    return strings_.convert_tokens_to_string(t);
  };

  std::vector<std::vector<TokenEntity>> results(texts.size());
  std::vector<size_t> windows(texts.size(), 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    const tok::Encoding& enc = *rows[r];
    std::vector<std::vector<double>> scores;
    for (size_t i = 0; i < enc.size(); ++i) {
      const float* row = data + (int64_t(r) * seq + int64_t(i)) * num_labels;
      scores.push_back(softmax(std::vector<double>(row, row + num_labels)));
    }
    std::vector<PreEntity> pre =
        gather_pre_entities(texts[sample[r]], enc.tokens, enc.ids, scores, enc.offsets, enc.special_tokens_mask,
                            tokenizer_->unk_token_id(), strings_.continuing_subword_prefix().has_value());
    std::vector<TokenEntity> entities =
        aggregate_entities(pre, options.aggregation_strategy, model_->config().id2label, to_string, ignore);
    auto& out = results[sample[r]];
    out.insert(out.end(), entities.begin(), entities.end());
    ++windows[sample[r]];
  }
  for (size_t t = 0; t < texts.size(); ++t)
    if (windows[t] > 1) results[t] = aggregate_overlapping_entities(std::move(results[t]));
  return results;
}

}  // namespace transformers::pipelines
