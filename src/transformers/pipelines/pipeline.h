#pragma once
// pipeline(task, model): Hugging Face's factory. Task names and aliases are HF's
// ("sentiment-analysis" is text-classification, "ner" token-classification); the typed pipeline
// is reached with as<T>() (structs in, structs out), and every task also runs on JSON inputs
// and options under HF's argument names, answering HF-shaped JSON (what `transformers run` prints).
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "transformers/core/error.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/pipelines/feature_extraction.h"
#include "transformers/pipelines/fill_mask.h"
#include "transformers/pipelines/question_answering.h"
#include "transformers/pipelines/text_classification.h"
#include "transformers/pipelines/text_generation.h"
#include "transformers/pipelines/token_classification.h"
#include "transformers/pipelines/zero_shot_classification.h"

namespace transformers::pipelines {

// The canonical name of a task or alias; throws listing the tasks for an unknown one.
// "sentence-embeddings" (ours, not HF's) pools a sentence-transformers folder into one vector per text.
std::string normalize_task(const std::string& task);
std::vector<std::string> supported_tasks();

// The task a model folder runs by default: sentence-embeddings for a sentence-transformers folder
// (modules.json), text-generation for a causal LM, else by architectures[0]'s head: ForMaskedLM ->
// fill-mask, ForSequenceClassification -> text-classification, ForTokenClassification ->
// token-classification, ForQuestionAnswering -> question-answering, a base Model -> feature-extraction.
std::string default_task(const std::filesystem::path& model_dir);
std::string default_task_for_architecture(const std::string& architecture);

class Pipeline {
 public:
  using Any = std::variant<std::unique_ptr<TextClassificationPipeline>, std::unique_ptr<FillMaskPipeline>,
                           std::unique_ptr<TokenClassificationPipeline>, std::unique_ptr<QuestionAnsweringPipeline>,
                           std::unique_ptr<FeatureExtractionPipeline>, std::unique_ptr<SentenceTransformer>,
                           std::unique_ptr<ZeroShotClassificationPipeline>, std::unique_ptr<TextGenerationPipeline>>;
  Pipeline(std::string task, Any pipeline) : task_(std::move(task)), pipeline_(std::move(pipeline)) {}

  const std::string& task() const { return task_; }

  // The typed pipeline, e.g. pipeline("ner", dir).as<TokenClassificationPipeline>()(texts, options).
  template <typename T>
  T& as() {
    auto* p = std::get_if<std::unique_ptr<T>>(&pipeline_);
    TFM_CHECK(p != nullptr, "[pipeline] this is a ", task_, " pipeline; as<T>() asked for another type");
    return **p;
  }

  // `inputs_json`: what HF's __call__ takes first (a string, a list of strings, {"text",
  // "text_pair"}, {"question", "context"} ...); `options_json`: an object of HF keyword arguments
  // (top_k, aggregation_strategy, doc_stride, candidate_labels ...). Returns HF's output as JSON:
  // one input (not in a list) gives one result, a list gives a list.
  std::string operator()(const std::string& inputs_json, const std::string& options_json = "{}");

 private:
  std::string task_;
  Any pipeline_;
};

std::unique_ptr<Pipeline> pipeline(const std::string& task, const std::filesystem::path& model_dir,
                                   const models::LoadOptions& options = {});

}  // namespace transformers::pipelines
