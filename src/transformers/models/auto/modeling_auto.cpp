#include "transformers/models/auto/modeling_auto.h"

#include <functional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/models/bert/modeling_bert.h"
#include "transformers/models/distilbert/modeling_distilbert.h"
#include "transformers/models/electra/modeling_electra.h"
#include "transformers/models/gemma/modeling_gemma.h"
#include "transformers/models/gemma2/modeling_gemma2.h"
#include "transformers/models/gemma3/modeling_gemma3.h"
#include "transformers/models/gpt2/modeling_gpt2.h"
#include "transformers/models/gpt_neox/modeling_gpt_neox.h"
#include "transformers/models/llama/modeling_llama.h"
#include "transformers/models/mistral/modeling_mistral.h"
#include "transformers/models/modernbert/modeling_modernbert.h"
#include "transformers/models/olmo/modeling_olmo.h"
#include "transformers/models/olmo2/modeling_olmo2.h"
#include "transformers/models/phi/modeling_phi.h"
#include "transformers/models/phi3/modeling_phi3.h"
#include "transformers/models/qwen2/modeling_qwen2.h"
#include "transformers/models/qwen3/modeling_qwen3.h"
#include "transformers/models/roberta/modeling_roberta.h"

namespace transformers::models {

namespace {

using Factory = std::function<std::unique_ptr<PreTrainedModel>(const std::filesystem::path&, const LoadOptions&)>;

template <typename Model>
Factory factory() {
  return [](const std::filesystem::path& dir, const LoadOptions& options) -> std::unique_ptr<PreTrainedModel> {
    return Model::from_pretrained(dir, options);
  };
}

struct Entry {
  const char* architecture;
  const char* model_type;
  bool causal_lm;
  Factory make;
};

// The one table: architectures[0] -> class.
const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {"LlamaForCausalLM", "llama", true, factory<llama::LlamaForCausalLM>()},
      {"GPT2LMHeadModel", "gpt2", true, factory<gpt2::GPT2LMHeadModel>()},
      {"GPTNeoXForCausalLM", "gpt_neox", true, factory<gpt_neox::GPTNeoXForCausalLM>()},
      {"PhiForCausalLM", "phi", true, factory<phi::PhiForCausalLM>()},
      {"Phi3ForCausalLM", "phi3", true, factory<phi3::Phi3ForCausalLM>()},
      {"MistralForCausalLM", "mistral", true, factory<mistral::MistralForCausalLM>()},
      {"Qwen2ForCausalLM", "qwen2", true, factory<qwen2::Qwen2ForCausalLM>()},
      {"Qwen3ForCausalLM", "qwen3", true, factory<qwen3::Qwen3ForCausalLM>()},
      {"GemmaForCausalLM", "gemma", true, factory<gemma::GemmaForCausalLM>()},
      {"Gemma2ForCausalLM", "gemma2", true, factory<gemma2::Gemma2ForCausalLM>()},
      {"Gemma3ForCausalLM", "gemma3_text", true, factory<gemma3::Gemma3ForCausalLM>()},
      {"OlmoForCausalLM", "olmo", true, factory<olmo::OlmoForCausalLM>()},
      {"Olmo2ForCausalLM", "olmo2", true, factory<olmo2::Olmo2ForCausalLM>()},
      {"BertModel", "bert", false, factory<bert::BertModel>()},
      {"BertForMaskedLM", "bert", false, factory<bert::BertForMaskedLM>()},
      {"BertForSequenceClassification", "bert", false,
       factory<bert::BertForSequenceClassification>()},
      {"BertForTokenClassification", "bert", false, factory<bert::BertForTokenClassification>()},
      {"BertForQuestionAnswering", "bert", false, factory<bert::BertForQuestionAnswering>()},
      {"RobertaModel", "roberta", false, factory<roberta::RobertaModel>()},
      {"RobertaForMaskedLM", "roberta", false, factory<roberta::RobertaForMaskedLM>()},
      {"RobertaForSequenceClassification", "roberta", false,
       factory<roberta::RobertaForSequenceClassification>()},
      {"RobertaForTokenClassification", "roberta", false,
       factory<roberta::RobertaForTokenClassification>()},
      {"RobertaForQuestionAnswering", "roberta", false,
       factory<roberta::RobertaForQuestionAnswering>()},
      {"XLMRobertaModel", "xlm-roberta", false, factory<roberta::RobertaModel>()},
      {"XLMRobertaForMaskedLM", "xlm-roberta", false, factory<roberta::RobertaForMaskedLM>()},
      {"XLMRobertaForSequenceClassification", "xlm-roberta", false,
       factory<roberta::RobertaForSequenceClassification>()},
      {"XLMRobertaForTokenClassification", "xlm-roberta", false,
       factory<roberta::RobertaForTokenClassification>()},
      {"XLMRobertaForQuestionAnswering", "xlm-roberta", false,
       factory<roberta::RobertaForQuestionAnswering>()},
      {"DistilBertModel", "distilbert", false, factory<distilbert::DistilBertModel>()},
      {"DistilBertForMaskedLM", "distilbert", false, factory<distilbert::DistilBertForMaskedLM>()},
      {"DistilBertForSequenceClassification", "distilbert", false,
       factory<distilbert::DistilBertForSequenceClassification>()},
      {"DistilBertForTokenClassification", "distilbert", false,
       factory<distilbert::DistilBertForTokenClassification>()},
      {"DistilBertForQuestionAnswering", "distilbert", false,
       factory<distilbert::DistilBertForQuestionAnswering>()},
      {"ElectraModel", "electra", false, factory<electra::ElectraModel>()},
      {"ElectraForPreTraining", "electra", false, factory<electra::ElectraForPreTraining>()},
      {"ElectraForMaskedLM", "electra", false, factory<electra::ElectraForMaskedLM>()},
      {"ElectraForSequenceClassification", "electra", false,
       factory<electra::ElectraForSequenceClassification>()},
      {"ElectraForTokenClassification", "electra", false,
       factory<electra::ElectraForTokenClassification>()},
      {"ElectraForQuestionAnswering", "electra", false,
       factory<electra::ElectraForQuestionAnswering>()},
      {"ModernBertModel", "modernbert", false, factory<modernbert::ModernBertModel>()},
      {"ModernBertForMaskedLM", "modernbert", false, factory<modernbert::ModernBertForMaskedLM>()},
      {"ModernBertForSequenceClassification", "modernbert", false,
       factory<modernbert::ModernBertForSequenceClassification>()},
      {"ModernBertForTokenClassification", "modernbert", false,
       factory<modernbert::ModernBertForTokenClassification>()},
  };
  return entries;
}

// architectures[0] of config.json; without it, model_type's first class in the table (its base
// model, as HF's AutoModel) or, when a causal LM is wanted, its causal-LM class.
const Entry& lookup(const std::filesystem::path& model_dir, bool want_causal_lm) {
  std::filesystem::path path = model_dir / "config.json";
  nlohmann::json j = read_config_json(path);
  PretrainedConfig common;
  common.read_common(j, path.string());
  if (!common.architectures.empty()) {
    const std::string& arch = common.architectures[0];
    for (const Entry& e : registry())
      if (arch == e.architecture) return e;
    std::string known;
    for (const Entry& e : registry()) known += (known.empty() ? "" : ", ") + std::string(e.architecture);
    throw Error("[config] " + path.string() + ": architecture '" + arch + "' is not supported (supported: " +
                known + ")");
  }
  TFM_CHECK(!common.model_type.empty(), "[config] ", path.string(),
            ": neither 'architectures' nor 'model_type' is set");
  for (const Entry& e : registry())
    if (common.model_type == e.model_type && (e.causal_lm || !want_causal_lm)) return e;
  throw Error("[config] " + path.string() + ": model_type '" + common.model_type + "' is not supported");
}

// The base class of the folder's model type: its entry that is not a causal LM and whose name
// ends in "Model" (BertModel, XLMRobertaModel); architectures[0]'s entry when there is none.
const Entry& lookup_base(const std::filesystem::path& model_dir) {
  const Entry& named = lookup(model_dir, /*want_causal_lm=*/false);
  for (const Entry& e : registry()) {
    const std::string_view arch = e.architecture;
    if (!e.causal_lm && std::string_view(e.model_type) == named.model_type && arch.ends_with("Model")) return e;
  }
  return named;
}

}  // namespace

std::unique_ptr<PreTrainedModel> AutoModel::base_model_from_pretrained(const std::filesystem::path& model_dir,
                                                                       const LoadOptions& options) {
  return lookup_base(model_dir).make(model_dir, options);
}

std::unique_ptr<PreTrainedModel> AutoModel::from_pretrained(const std::filesystem::path& model_dir,
                                                            const LoadOptions& options) {
  return lookup(model_dir, /*want_causal_lm=*/false).make(model_dir, options);
}

std::unique_ptr<CausalLM> AutoModelForCausalLM::from_pretrained(const std::filesystem::path& model_dir,
                                                                const LoadOptions& options) {
  const Entry& e = lookup(model_dir, /*want_causal_lm=*/true);
  TFM_CHECK(e.causal_lm, "[config] ", e.architecture, " is not a causal language model");
  std::unique_ptr<PreTrainedModel> model = e.make(model_dir, options);
  return std::unique_ptr<CausalLM>(static_cast<CausalLM*>(model.release()));
}

std::vector<std::string> supported_architectures() {
  std::vector<std::string> names;
  for (const Entry& e : registry()) names.push_back(e.architecture);
  return names;
}

}  // namespace transformers::models
