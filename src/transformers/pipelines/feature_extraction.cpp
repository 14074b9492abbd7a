#include "transformers/pipelines/feature_extraction.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/io/file_util.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/encoder_inputs.h"

namespace transformers::pipelines {

namespace {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  nlohmann::json j = nlohmann::json::parse(io::read_text_file(path), nullptr, /*allow_exceptions=*/false);
  TFM_CHECK(!j.is_discarded(), "[pipeline] ", path.string(), " is not valid JSON");
  return j;
}

// Encodes `texts` unpadded (truncated to `max_length` when given) and runs the model: the rows,
// and last_hidden_state [rows, longest, hidden].
std::pair<std::vector<tok::Encoding>, Tensor> encode_and_run(
    models::PreTrainedModel& model, const tok::PreTrainedTokenizer& tokenizer,
    const std::vector<std::string>& texts, bool truncation, std::optional<size_t> max_length,
    const std::string& task) {
  tok::EncodeOptions e;
  e.truncation = truncation;
  e.max_length = max_length;
  tok::BatchEncoding batch = tokenizer.encode_batch(texts, e);
  std::vector<const tok::Encoding*> rows = flatten_windows(batch.encodings, false);
  Tensor hidden = forward_output(
      model, to_model_inputs(rows, model_input_names(tokenizer), tokenizer.pad_token_id().value_or(0)),
      "last_hidden_state", task);
  TFM_CHECK(hidden.dim() == 3, "[pipeline] ", task, " needs [batch, seq, hidden] last_hidden_state");
  return {std::move(batch.encodings), hidden};
}

}  // namespace

std::string feature_extraction_to_json(const std::vector<TokenFeatures>& results) {
  nlohmann::json out = nlohmann::json::array();
  for (const TokenFeatures& r : results) out.push_back(nlohmann::json::array({r}));
  return out.dump();
}

std::unique_ptr<FeatureExtractionPipeline> FeatureExtractionPipeline::from_pretrained(
    const std::filesystem::path& model_dir, const models::LoadOptions& options) {
  return std::make_unique<FeatureExtractionPipeline>(
      models::AutoModel::base_model_from_pretrained(model_dir, options),
      std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(model_dir)));
}

FeatureExtractionPipeline::FeatureExtractionPipeline(std::unique_ptr<models::PreTrainedModel> model,
                                                     std::unique_ptr<tok::PreTrainedTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {}

std::vector<TokenFeatures> FeatureExtractionPipeline::operator()(const std::vector<std::string>& texts,
                                                                 const FeatureExtractionOptions& options) {
  if (texts.empty()) return {};
  auto [encodings, hidden] =
      encode_and_run(*model_, *tokenizer_, texts, options.truncation, std::nullopt, "feature-extraction");
  const int64_t seq = hidden.size(1), dim = hidden.size(2);
  const float* data = hidden.data<float>();
  std::vector<TokenFeatures> results;
  for (size_t r = 0; r < encodings.size(); ++r) {
    TokenFeatures tokens;
    for (size_t i = 0; i < encodings[r].size(); ++i) {
      const float* v = data + (int64_t(r) * seq + int64_t(i)) * dim;
      tokens.emplace_back(v, v + dim);
    }
    results.push_back(std::move(tokens));
  }
  return results;
}

PoolingConfig PoolingConfig::from_json_file(const std::filesystem::path& path) {
  nlohmann::json j = read_json_file(path);
  TFM_CHECK(j.is_object(), "[pipeline] ", path.string(), " must be a JSON object");
  PoolingConfig c;
  c.word_embedding_dimension = j.value("word_embedding_dimension", int64_t(0));
  c.pooling_mode_cls_token = j.value("pooling_mode_cls_token", false);
  c.pooling_mode_mean_tokens = j.value("pooling_mode_mean_tokens", false);
  c.pooling_mode_max_tokens = j.value("pooling_mode_max_tokens", false);
  c.pooling_mode_mean_sqrt_len_tokens = j.value("pooling_mode_mean_sqrt_len_tokens", false);
  c.pooling_mode_lasttoken = j.value("pooling_mode_lasttoken", false);
  TFM_CHECK(!j.value("pooling_mode_weightedmean_tokens", false), "[pipeline] ", path.string(),
            ": pooling_mode_weightedmean_tokens is not supported");
  TFM_CHECK(c.output_dimension() > 0 || c.word_embedding_dimension == 0, "[pipeline] ", path.string(),
            ": no pooling mode is enabled");
  return c;
}

int64_t PoolingConfig::output_dimension() const {
  return word_embedding_dimension * (int64_t(pooling_mode_cls_token) + pooling_mode_max_tokens +
                                     pooling_mode_mean_tokens + pooling_mode_mean_sqrt_len_tokens +
                                     pooling_mode_lasttoken);
}

std::vector<float> pool(const float* hidden, const std::vector<int32_t>& mask, int64_t dim, const PoolingConfig& c) {
  const size_t seq = mask.size();
  std::vector<float> out;
  if (c.pooling_mode_cls_token) out.insert(out.end(), hidden, hidden + dim);
  if (c.pooling_mode_max_tokens) {
    std::vector<float> mx(size_t(dim), -std::numeric_limits<float>::infinity());
    for (size_t t = 0; t < seq; ++t)
      for (int64_t d = 0; d < dim; ++d)
        mx[size_t(d)] = std::max(mx[size_t(d)], mask[t] ? hidden[t * size_t(dim) + size_t(d)] : -1e9f);
    out.insert(out.end(), mx.begin(), mx.end());
  }
  if (c.pooling_mode_mean_tokens || c.pooling_mode_mean_sqrt_len_tokens) {
    std::vector<double> sum(size_t(dim), 0.0);
    double count = 0;
    for (size_t t = 0; t < seq; ++t) {
      if (!mask[t]) continue;
      count += 1;
      for (int64_t d = 0; d < dim; ++d) sum[size_t(d)] += hidden[t * size_t(dim) + size_t(d)];
    }
    if (c.pooling_mode_mean_tokens)
      for (double s : sum) out.push_back(float(s / std::max(count, 1e-9)));
    if (c.pooling_mode_mean_sqrt_len_tokens)
      for (double s : sum) out.push_back(float(s / std::sqrt(count)));
  }
  if (c.pooling_mode_lasttoken) {
    size_t last = 0;
    for (size_t t = 0; t < seq; ++t)
      if (mask[t]) last = t;
    out.insert(out.end(), hidden + last * size_t(dim), hidden + (last + 1) * size_t(dim));
  }
  return out;
}

std::vector<float> l2_normalize(std::vector<float> x) {
  double norm = 0;
  for (float v : x) norm += double(v) * v;
  const double scale = 1.0 / std::max(std::sqrt(norm), 1e-12);
  for (float& v : x) v = float(v * scale);
  return x;
}

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  TFM_CHECK(a.size() == b.size(), "[pipeline] cosine_similarity: vectors of sizes ", a.size(), " and ", b.size());
  std::vector<float> na = l2_normalize(a), nb = l2_normalize(b);
  double dot = 0;
  for (size_t i = 0; i < na.size(); ++i) dot += double(na[i]) * nb[i];
  return dot;
}

std::vector<std::vector<double>> cosine_similarity(const std::vector<std::vector<float>>& a,
                                                   const std::vector<std::vector<float>>& b) {
  std::vector<std::vector<double>> out(a.size(), std::vector<double>(b.size()));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j) out[i][j] = cosine_similarity(a[i], b[j]);
  return out;
}

DenseModule DenseModule::from_folder(const std::filesystem::path& dir) {
  const std::filesystem::path config_path = dir / "config.json";
  nlohmann::json j = read_json_file(config_path);
  TFM_CHECK(j.is_object(), "[pipeline] ", config_path.string(), " must be a JSON object");
  DenseModule d;
  auto positive = [&](const char* key) {
    TFM_CHECK(j.contains(key) && j[key].is_number_integer() && j[key].get<int64_t>() > 0, "[pipeline] ",
              config_path.string(), ": ", key, " must be a positive integer");
    return j[key].get<int64_t>();
  };
  d.in_features = positive("in_features");
  d.out_features = positive("out_features");
  const bool has_bias = j.value("bias", true);
  // sentence-transformers saves the activation as its torch class path, e.g. torch.nn.modules.activation.Tanh.
  const std::string name = j.value("activation_function", std::string("torch.nn.modules.activation.Tanh"));
  std::string activation = name.substr(name.rfind('.') + 1);
  std::transform(activation.begin(), activation.end(), activation.begin(),
                 [](unsigned char ch) { return char(std::tolower(ch)); });
  try {
    d.activation = ops::activation_from_name(activation);
  } catch (const Error&) {
    throw Error("[pipeline] " + config_path.string() + ": activation_function '" + name + "' is not supported");
  }
  const std::filesystem::path weights = dir / "model.safetensors";
  TFM_CHECK(std::filesystem::is_regular_file(weights), "[pipeline] ", dir.string(),
            ": no model.safetensors (pytorch_model.bin is not read; convert the Dense weights to safetensors)");
  io::SafetensorsFile file = io::SafetensorsFile::open(weights);
  auto read = [&](const std::string& key, const Shape& shape) {
    const io::TensorView* v = file.find(key);
    TFM_CHECK(v, "[pipeline] ", weights.string(), ": no tensor ", key);
    TFM_CHECK(v->shape == shape, "[pipeline] ", weights.string(), ": ", key, " is ", shape_str(v->shape), ", expected ",
              shape_str(shape));
    return Tensor::from_blob(v->data, v->shape, v->dtype, file.keep_alive()).to(DType::Float32).contiguous();
  };
  d.weight = read("linear.weight", {d.out_features, d.in_features});
  if (has_bias) d.bias = read("linear.bias", {d.out_features});
  return d;
}

std::vector<float> DenseModule::forward(const std::vector<float>& x) const {
  TFM_CHECK(int64_t(x.size()) == in_features, "[pipeline] Dense module takes ", in_features,
            " features, the embedding before it has ", x.size());
  Tensor y = ops::linear(Tensor::from_vector(x, {1, in_features}), weight, bias);  // [1, out_features]
  return ops::unary(activation, y).contiguous().to_vector<float>();
}

bool is_sentence_transformers_folder(const std::filesystem::path& dir) {
  return std::filesystem::is_regular_file(dir / "modules.json");
}

std::unique_ptr<SentenceTransformer> SentenceTransformer::from_pretrained(const std::filesystem::path& dir,
                                                                          const models::LoadOptions& options) {
  nlohmann::json modules = read_json_file(dir / "modules.json");
  TFM_CHECK(modules.is_array(), "[pipeline] ", (dir / "modules.json").string(), " must be a list of modules");
  std::optional<PoolingConfig> pooling;
  std::vector<DenseModule> dense;
  bool normalize = false, transformer = false;
  for (const nlohmann::json& m : modules) {
    const std::string type = m.value("type", ""), path = m.value("path", "");
    if (type == "sentence_transformers.models.Transformer") {
      TFM_CHECK(path.empty() && !transformer, "[pipeline] modules.json: only one Transformer module, at the folder's "
                "root (path \"\"), is supported; got path '", path, "'");
      transformer = true;
    } else if (type == "sentence_transformers.models.Pooling") {
      pooling = PoolingConfig::from_json_file(dir / path / "config.json");
    } else if (type == "sentence_transformers.models.Dense") {
      TFM_CHECK(pooling && !normalize, "[pipeline] modules.json: a Dense module must come after Pooling and before "
                "Normalize");
      dense.push_back(DenseModule::from_folder(dir / path));
    } else if (type == "sentence_transformers.models.Normalize") {
      normalize = true;
    } else {
      throw Error("[pipeline] modules.json: module type '" + type + "' is not supported (Transformer, Pooling, "
                  "Dense and Normalize are)");
    }
  }
  TFM_CHECK(transformer, "[pipeline] modules.json has no sentence_transformers.models.Transformer module");
  TFM_CHECK(pooling.has_value(), "[pipeline] modules.json has no sentence_transformers.models.Pooling module");
  std::optional<int64_t> max_seq_length;
  if (std::filesystem::is_regular_file(dir / "sentence_bert_config.json")) {
    nlohmann::json st = read_json_file(dir / "sentence_bert_config.json");
    if (st.contains("max_seq_length") && st["max_seq_length"].is_number_integer())
      max_seq_length = st["max_seq_length"].get<int64_t>();
    TFM_CHECK(!st.value("do_lower_case", false),
              "[pipeline] sentence_bert_config.json: do_lower_case is not supported");
  }
  return std::make_unique<SentenceTransformer>(
      models::AutoModel::base_model_from_pretrained(dir, options),
      std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(dir)), *pooling, normalize,
      max_seq_length, std::move(dense));
}

SentenceTransformer::SentenceTransformer(std::unique_ptr<models::PreTrainedModel> model,
                                         std::unique_ptr<tok::PreTrainedTokenizer> tokenizer, PoolingConfig pooling,
                                         bool normalize, std::optional<int64_t> max_seq_length,
                                         std::vector<DenseModule> dense)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), pooling_(pooling), normalize_(normalize),
      max_seq_length_(max_seq_length), dense_(std::move(dense)) {
  if (!max_seq_length_) {
    // sentence-transformers' default: the smaller of the position table and model_max_length.
    int64_t limit = int64_t(std::min<size_t>(tokenizer_->model_max_length, size_t(1) << 40));
    const auto& raw = model_->config().raw_json;
    if (raw && raw->contains("max_position_embeddings") && (*raw)["max_position_embeddings"].is_number_integer())
      limit = std::min(limit, (*raw)["max_position_embeddings"].get<int64_t>());
    max_seq_length_ = limit;
  }
}

std::vector<std::vector<float>> SentenceTransformer::encode(const std::vector<std::string>& texts,
                                                            bool normalize_embeddings) {
  if (texts.empty()) return {};
  // sentence-transformers always truncates (longest_first) to max_seq_length.
  auto [encodings, hidden] = encode_and_run(*model_, *tokenizer_, texts, true, size_t(*max_seq_length_),
                                            "sentence embeddings");
  const int64_t seq = hidden.size(1), dim = hidden.size(2);
  TFM_CHECK(pooling_.word_embedding_dimension == 0 || pooling_.word_embedding_dimension == dim,
            "[pipeline] 1_Pooling/config.json: word_embedding_dimension ", pooling_.word_embedding_dimension,
            " differs from the model's hidden size ", dim);
  const float* data = hidden.data<float>();
  std::vector<std::vector<float>> out;
  for (size_t r = 0; r < encodings.size(); ++r) {
    std::vector<int32_t> mask(size_t(seq), 0);
    for (size_t i = 0; i < encodings[r].size(); ++i) mask[i] = encodings[r].attention_mask[i];
    std::vector<float> v = pool(data + int64_t(r) * seq * dim, mask, dim, pooling_);
    for (const DenseModule& d : dense_) v = d.forward(v);
    if (normalize_) v = l2_normalize(std::move(v));
    if (normalize_embeddings) v = l2_normalize(std::move(v));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace transformers::pipelines
