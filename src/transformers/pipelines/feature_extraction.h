#pragma once
// pipeline("feature-extraction"): the model's last hidden state per token, as Hugging Face's
// FeatureExtractionPipeline; and sentence embeddings as a sentence-transformers folder defines
// them (modules.json: Transformer -> Pooling -> Dense -> Normalize), with a cosine similarity helper.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/core/ops.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

struct FeatureExtractionOptions {
  bool truncation = false;  // HF passes no truncation unless tokenize_kwargs asks for it
};

// Per input: [tokens][hidden] (the input's own tokens; padding added for batching is dropped).
using TokenFeatures = std::vector<std::vector<float>>;

// HF's JSON: per input [[token vectors]] (the batch dimension of one kept, as HF's tolist()).
std::string feature_extraction_to_json(const std::vector<TokenFeatures>& results);

class FeatureExtractionPipeline {
 public:
  static std::unique_ptr<FeatureExtractionPipeline> from_pretrained(const std::filesystem::path& model_dir,
                                                                    const models::LoadOptions& options = {});
  FeatureExtractionPipeline(std::unique_ptr<models::PreTrainedModel> model,
                            std::unique_ptr<tok::PreTrainedTokenizer> tokenizer);

  std::vector<TokenFeatures> operator()(const std::vector<std::string>& texts,
                                        const FeatureExtractionOptions& options = {});

 private:
  std::unique_ptr<models::PreTrainedModel> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
};

// 1_Pooling/config.json (sentence-transformers' Pooling): the modes set are concatenated in
// sentence-transformers' order cls, max, mean, mean_sqrt_len, lasttoken.
struct PoolingConfig {
  int64_t word_embedding_dimension = 0;
  bool pooling_mode_cls_token = false;
  bool pooling_mode_mean_tokens = true;
  bool pooling_mode_max_tokens = false;
  bool pooling_mode_mean_sqrt_len_tokens = false;
  bool pooling_mode_lasttoken = false;

  static PoolingConfig from_json_file(const std::filesystem::path& path);
  int64_t output_dimension() const;
};

// Pools one row: `hidden` is [seq][dim] row-major, `mask` [seq] (0 for padding).
// mean: sum over unmasked / max(count, 1e-9); max: padding set to -1e9 first; cls: token 0;
// mean_sqrt_len: sum / sqrt(count); lasttoken: the last unmasked token.
std::vector<float> pool(const float* hidden, const std::vector<int32_t>& mask, int64_t dim,
                        const PoolingConfig& config);

// x / max(||x||_2, 1e-12), as torch.nn.functional.normalize.
std::vector<float> l2_normalize(std::vector<float> x);

// sentence-transformers' util.cos_sim: both vectors L2-normalized (l2_normalize), then dotted.
double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);
// [a.size()][b.size()] matrix of cosine similarities (util.cos_sim on two lists).
std::vector<std::vector<double>> cosine_similarity(const std::vector<std::vector<float>>& a,
                                                   const std::vector<std::vector<float>>& b);

// sentence-transformers' Dense module (a folder such as 2_Dense): activation(W x + b) on the
// pooled embedding. config.json: in_features, out_features, bias, activation_function (a torch
// class such as torch.nn.modules.activation.Tanh, the default; its lower-cased name must be one
// ops::activation_from_name knows: tanh, identity, relu, sigmoid, gelu, silu, mish); weights in
// model.safetensors as linear.weight [out, in] and linear.bias [out].
struct DenseModule {
  int64_t in_features = 0, out_features = 0;
  Tensor weight;  // [out_features, in_features] f32
  Tensor bias;    // [out_features] f32; undefined without bias
  ops::UnaryOp activation = ops::UnaryOp::Tanh;  // resolved once, when the folder is read

  static DenseModule from_folder(const std::filesystem::path& dir);
  std::vector<float> forward(const std::vector<float>& x) const;
};

// A sentence-transformers folder: modules.json with a Transformer module (path ""), a Pooling
// module, optionally Dense modules and Normalize (in that order); sentence_bert_config.json's
// max_seq_length truncates inputs. Other modules (LayerNorm, ...) are rejected by name.
class SentenceTransformer {
 public:
  static std::unique_ptr<SentenceTransformer> from_pretrained(const std::filesystem::path& dir,
                                                              const models::LoadOptions& options = {});
  SentenceTransformer(std::unique_ptr<models::PreTrainedModel> model,
                      std::unique_ptr<tok::PreTrainedTokenizer> tokenizer, PoolingConfig pooling,
                      bool normalize, std::optional<int64_t> max_seq_length,
                      std::vector<DenseModule> dense = {});

  // One embedding per text; normalize_embeddings also L2-normalizes (as encode(...) does).
  std::vector<std::vector<float>> encode(const std::vector<std::string>& texts, bool normalize_embeddings = false);

  const PoolingConfig& pooling() const { return pooling_; }
  bool normalizes() const { return normalize_; }

 private:
  std::unique_ptr<models::PreTrainedModel> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
  PoolingConfig pooling_;
  bool normalize_;
  std::optional<int64_t> max_seq_length_;
  std::vector<DenseModule> dense_;  // after pooling, before Normalize
};

// A folder is a sentence-transformers model when it has modules.json.
bool is_sentence_transformers_folder(const std::filesystem::path& dir);

}  // namespace transformers::pipelines
