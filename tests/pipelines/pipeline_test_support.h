#pragma once
// Shared by the encoder pipeline tests: tokenizers whose ids are the fixtures' ids (so expected
// values come from Hugging Face's reference logits), and reading reference tensors.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "transformers/core/tensor.h"
#include "transformers/io/safetensors.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::testing {

// 256 ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3, `mask_id` = [MASK]; every other id i is the word
// "w<i>" unless `pieces` names it (WordPiece pieces such as "ab", "##cd"). With `wordpiece` the
// model is WordPiece ("##" continuation, WordPiece decoder), else WordLevel without decoder;
// whitespace split; BERT's single/pair templates.
inline tok::PreTrainedTokenizer test_tokenizer(int mask_id = 4, const std::map<int, std::string>& pieces = {},
                                               bool wordpiece = false) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int i = 0; i < 256; ++i) {
    auto it = pieces.find(i);
    vocab[it != pieces.end() ? it->second : "w" + std::to_string(i)] = i;
  }
  for (auto [name, id] : {std::pair{"[PAD]", 0}, {"[UNK]", 1}, {"[CLS]", 2}, {"[SEP]", 3}, {"[MASK]", mask_id}}) {
    vocab.erase("w" + std::to_string(id));
    vocab[name] = id;
  }
  nlohmann::json added = nlohmann::json::array();
  for (auto [name, id] : {std::pair{"[PAD]", 0}, {"[UNK]", 1}, {"[CLS]", 2}, {"[SEP]", 3}, {"[MASK]", mask_id}})
    added.push_back({{"id", id}, {"content", name}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", true}});
  auto special = [](const char* t) { return nlohmann::json{{"SpecialToken", {{"id", t}, {"type_id", 0}}}}; };
  auto seq = [](const char* s, int type) { return nlohmann::json{{"Sequence", {{"id", s}, {"type_id", type}}}}; };
  nlohmann::json sep1 = {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 1}}}};
  nlohmann::json model =
      wordpiece ? nlohmann::json{{"type", "WordPiece"},
                                 {"unk_token", "[UNK]"},
                                 {"continuing_subword_prefix", "##"},
                                 {"max_input_chars_per_word", 100},
                                 {"vocab", vocab}}
                : nlohmann::json{{"type", "WordLevel"}, {"unk_token", "[UNK]"}, {"vocab", vocab}};
  nlohmann::json j = {
      {"version", "1.0"},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {special("[CLS]"), seq("A", 0), special("[SEP]")}},
        {"pair", {special("[CLS]"), seq("A", 0), special("[SEP]"), seq("B", 1), sep1}},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {2}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {3}}, {"tokens", {"[SEP]"}}}}}}}},
      {"decoder", wordpiece ? nlohmann::json{{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}
                            : nlohmann::json(nullptr)},
      {"model", model}};
  tok::PreTrainedTokenizer t(tok::Tokenizer::from_json(j.dump()));
  t.pad_token = "[PAD]";
  t.unk_token = "[UNK]";
  t.cls_token = "[CLS]";
  t.sep_token = "[SEP]";
  t.mask_token = "[MASK]";
  return t;
}

// "w12 w7 ..." for ids.
inline std::string words(const std::vector<int64_t>& ids) {
  std::string s;
  for (int64_t id : ids) s += (s.empty() ? "w" : " w") + std::to_string(id);
  return s;
}

// A tensor of a model fixture's reference.safetensors, flattened.
inline std::vector<double> reference(const std::string& case_name, const std::string& name) {
  io::SafetensorsFile f = io::SafetensorsFile::open(
      shared_path("fixtures/models/" + case_name + "/reference.safetensors"));
  const io::TensorView* v = f.find(name);
  return transformers::Tensor::from_blob(v->data, v->shape, v->dtype, f.keep_alive()).to_vector<double>();
}

inline std::vector<double> hand_softmax(std::vector<double> x) {
  double mx = x[0], sum = 0;
  for (double v : x) mx = std::max(mx, v);
  for (double& v : x) sum += v = std::exp(v - mx);
  for (double& v : x) v /= sum;
  return x;
}

// A model folder: the fixture's config.json and weights plus `tokenizer`'s files.
inline std::filesystem::path fixture_with_tokenizer(const std::string& case_name, const tok::PreTrainedTokenizer& t,
                                                    const std::string& dir_name) {
  std::filesystem::path dir = temp_dir(dir_name);
  for (const char* f : {"config.json", "model.safetensors"})
    std::filesystem::copy_file(shared_path("fixtures/models/" + case_name + "/" + f), dir / f,
                               std::filesystem::copy_options::overwrite_existing);
  t.save_pretrained(dir);
  return dir;
}

}  // namespace transformers::testing
