#include "transformers/pipelines/pipeline.h"

#include <set>

#include <nlohmann/json.hpp>

#include "transformers/models/configuration_utils.h"

namespace transformers::pipelines {

namespace {

using json = nlohmann::ordered_json;

struct TaskName {
  const char* name;
  const char* canonical;
};
const TaskName kTasks[] = {
    {"text-classification", "text-classification"},
    {"sentiment-analysis", "text-classification"},
    {"fill-mask", "fill-mask"},
    {"token-classification", "token-classification"},
    {"ner", "token-classification"},
    {"question-answering", "question-answering"},
    {"feature-extraction", "feature-extraction"},
    {"sentence-embeddings", "sentence-embeddings"},
    {"zero-shot-classification", "zero-shot-classification"},
    {"text-generation", "text-generation"},
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Reads HF keyword arguments from an options object, rejecting names the task does not take.
class Options {
 public:
  Options(const json& j, std::string task, std::set<std::string> known) : j_(j), task_(std::move(task)) {
    TFM_CHECK(j_.is_object(), "[pipeline] ", task_, ": options must be a JSON object");
    for (const auto& [key, value] : j_.items())
      TFM_CHECK(known.count(key), "[pipeline] ", task_, ": unknown option '", key, "'");
  }
  bool has(const char* key) const { return j_.contains(key); }
  bool is_null(const char* key) const { return j_.contains(key) && j_[key].is_null(); }
  template <typename T>
  std::optional<T> get(const char* key) const {
    if (!j_.contains(key) || j_[key].is_null()) return std::nullopt;
    try {
      return j_[key].get<T>();
    } catch (const json::exception&) {
      throw Error("[pipeline] " + task_ + ": option '" + key + "' has the wrong type (" + j_[key].dump() + ")");
    }
  }
  // A string or a list of strings.
  std::optional<std::vector<std::string>> strings(const char* key) const {
    if (!j_.contains(key) || j_[key].is_null()) return std::nullopt;
    if (j_[key].is_string()) return std::vector<std::string>{j_[key].get<std::string>()};
    return get<std::vector<std::string>>(key);
  }

 private:
  const json& j_;
  std::string task_;
};

// A string or a list of strings; `single` tells which.
std::vector<std::string> text_inputs(const json& inputs, const std::string& task, bool& single) {
  single = inputs.is_string();
  if (single) return {inputs.get<std::string>()};
  TFM_CHECK(inputs.is_array() && !inputs.empty(), "[pipeline] ", task,
            ": inputs must be a string or a list of strings");
  std::vector<std::string> out;
  for (const json& x : inputs) {
    TFM_CHECK(x.is_string(), "[pipeline] ", task, ": inputs must be a string or a list of strings");
    out.push_back(x.get<std::string>());
  }
  return out;
}

// The JSON of one result per input; a single (unlisted) input gives its own result.
json unwrap(const std::string& per_input_json, bool single) {
  json all = json::parse(per_input_json);
  return single ? all[0] : all;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string run_text_classification(TextClassificationPipeline& p, const json& inputs, const json& o) {
  Options opt(o, "text-classification", {"top_k", "function_to_apply", "truncation"});
  TextClassificationOptions options;
  // HF: top_k=None asks for every label; no top_k at all is the legacy single best label.
  if (opt.is_null("top_k")) options.top_k = 0;
  else options.top_k = opt.get<int64_t>("top_k");
  options.function_to_apply = opt.get<std::string>("function_to_apply");
  options.truncation = opt.get<bool>("truncation").value_or(false);
  auto is_pair = [](const json& x) { return x.is_object(); };
  const bool single = inputs.is_string() || inputs.is_object();
  std::vector<std::vector<LabelScore>> results;
  if (is_pair(inputs) || (inputs.is_array() && !inputs.empty() && is_pair(inputs[0]))) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const json& x : inputs.is_array() ? inputs : json::array({inputs})) {
      TFM_CHECK(x.is_object() && x.contains("text") && x.contains("text_pair"),
                "[pipeline] text-classification: a pair is {\"text\": ..., \"text_pair\": ...}");
      pairs.emplace_back(x["text"].get<std::string>(), x["text_pair"].get<std::string>());
    }
    results = p(pairs, options);
  } else {
    bool unused;
    results = p(text_inputs(inputs, "text-classification", unused), options);
  }
  json all = json::parse(classification_to_json(results, options.top_k));
  if (!single) return dump(all);
  return dump(options.top_k ? all[0] : all);  // one text: [{...}] (legacy) or the list of labels
}

std::string run_fill_mask(FillMaskPipeline& p, const json& inputs, const json& o) {
  Options opt(o, "fill-mask", {"top_k", "targets"});
  FillMaskOptions options;
  options.top_k = opt.get<int64_t>("top_k").value_or(5);
  options.targets = opt.strings("targets").value_or(std::vector<std::string>{});
  bool single;
  std::vector<std::string> texts = text_inputs(inputs, "fill-mask", single);
  return dump(unwrap(fill_mask_to_json(p(texts, options)), single));
}

std::string run_token_classification(TokenClassificationPipeline& p, const json& inputs, const json& o) {
  Options opt(o, "token-classification", {"aggregation_strategy", "ignore_labels", "stride"});
  TokenClassificationOptions options;
  if (auto s = opt.get<std::string>("aggregation_strategy"))
    options.aggregation_strategy = parse_aggregation_strategy(*s);
  options.ignore_labels = opt.strings("ignore_labels");
  options.stride = opt.get<int64_t>("stride");
  bool single;
  std::vector<std::string> texts = text_inputs(inputs, "token-classification", single);
  return dump(unwrap(token_classification_to_json(p(texts, options)), single));
}

std::string run_question_answering(QuestionAnsweringPipeline& p, const json& inputs, const json& o) {
  Options opt(o, "question-answering", {"top_k", "doc_stride", "max_answer_len", "max_seq_len", "max_question_len",
                                        "handle_impossible_answer", "align_to_words", "question", "context"});
  QuestionAnsweringOptions options;
  options.top_k = opt.get<int64_t>("top_k").value_or(1);
  options.doc_stride = opt.get<int64_t>("doc_stride");
  options.max_answer_len = opt.get<int64_t>("max_answer_len").value_or(15);
  options.max_seq_len = opt.get<int64_t>("max_seq_len");
  options.handle_impossible_answer = opt.get<bool>("handle_impossible_answer").value_or(false);
  options.align_to_words = opt.get<bool>("align_to_words").value_or(true);
  std::vector<QuestionAnsweringInput> qa;
  auto read = [&](const json& x) {
    TFM_CHECK(x.is_object() && x.contains("question") && x.contains("context") && x["question"].is_string() &&
                  x["context"].is_string(),
              "[pipeline] question-answering: each input is {\"question\": ..., \"context\": ...}");
    qa.push_back({x["question"].get<std::string>(), x["context"].get<std::string>()});
  };
  if (inputs.is_array()) {
    for (const json& x : inputs) read(x);
  } else {
    read(inputs);
  }
  return question_answering_to_json(p(qa, options));
}

std::string run_feature_extraction(FeatureExtractionPipeline& p, const json& inputs, const json& o) {
  Options opt(o, "feature-extraction", {"truncation"});
  FeatureExtractionOptions options;
  options.truncation = opt.get<bool>("truncation").value_or(false);
  bool single;
  std::vector<std::string> texts = text_inputs(inputs, "feature-extraction", single);
  return dump(unwrap(feature_extraction_to_json(p(texts, options)), single));
}

std::string run_sentence_embeddings(SentenceTransformer& p, const json& inputs, const json& o) {
  Options opt(o, "sentence-embeddings", {"normalize_embeddings"});
  bool single;
  std::vector<std::string> texts = text_inputs(inputs, "sentence-embeddings", single);
  json all = p.encode(texts, opt.get<bool>("normalize_embeddings").value_or(false));
  return dump(single ? all[0] : all);
}

std::string run_zero_shot(ZeroShotClassificationPipeline& p, const json& inputs, const json& o) {
  Options opt(o, "zero-shot-classification", {"candidate_labels", "hypothesis_template", "multi_label", "multi_class"});
  ZeroShotClassificationOptions options;
  if (o.contains("candidate_labels") && o["candidate_labels"].is_string())
    options.candidate_labels = parse_candidate_labels(o["candidate_labels"].get<std::string>());
  else
    options.candidate_labels = opt.strings("candidate_labels").value_or(std::vector<std::string>{});
  if (auto t = opt.get<std::string>("hypothesis_template")) options.hypothesis_template = *t;
  options.multi_label = opt.get<bool>("multi_label").value_or(opt.get<bool>("multi_class").value_or(false));
  bool single;
  std::vector<std::string> texts = text_inputs(inputs, "zero-shot-classification", single);
  return zero_shot_to_json(p(texts, options));
}

// HF's chat input: a list of {"role", "content"} messages.
std::vector<ChatMessage> chat_messages(const json& chat) {
  TFM_CHECK(chat.is_array() && !chat.empty(), "[pipeline] text-generation: a chat is a non-empty list of messages");
  std::vector<ChatMessage> out;
  for (const json& m : chat) {
    TFM_CHECK(m.is_object() && m.contains("role") && m["role"].is_string() && m.contains("content") &&
                  m["content"].is_string(),
              "[pipeline] text-generation: each chat message is {\"role\": string, \"content\": string}");
    out.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  }
  return out;
}

std::string run_text_generation(TextGenerationPipeline& p, const json& inputs, const json& o) {
  Options opt(o, "text-generation", {"max_new_tokens", "do_sample", "temperature", "top_k", "top_p",
                                     "repetition_penalty", "num_beams", "num_return_sequences", "seed",
                                     "return_full_text", "stop_strings", "continue_final_message",
                                     "clean_up_tokenization_spaces"});
  TextGenerationOptions options;
  options.max_new_tokens = opt.get<int64_t>("max_new_tokens");
  options.do_sample = opt.get<bool>("do_sample");
  options.temperature = opt.get<double>("temperature");
  options.top_k = opt.get<int64_t>("top_k");
  options.top_p = opt.get<double>("top_p");
  options.repetition_penalty = opt.get<double>("repetition_penalty");
  options.num_beams = opt.get<int64_t>("num_beams");
  options.num_return_sequences = opt.get<int64_t>("num_return_sequences");
  options.seed = opt.get<uint64_t>("seed");
  options.return_full_text = opt.get<bool>("return_full_text").value_or(true);
  options.stop_strings = opt.strings("stop_strings").value_or(std::vector<std::string>{});
  options.continue_final_message = opt.get<bool>("continue_final_message");
  options.clean_up_tokenization_spaces = opt.get<bool>("clean_up_tokenization_spaces").value_or(true);
  // As HF's __call__: a list whose first item is a message is one chat, a list of lists is a
  // batch of chats; otherwise a string or a list of strings.
  const bool chats = inputs.is_array() && !inputs.empty() && (inputs[0].is_object() || inputs[0].is_array());
  if (chats) {
    const bool single = inputs[0].is_object();
    json all = json::array();
    for (const json& chat : single ? json::array({inputs}) : inputs) {
      json one = json::array();
      for (const GeneratedText& g : p(chat_messages(chat), options)) {
        if (!options.return_full_text) {
          one.push_back({{"generated_text", g.generated_text}});
          continue;
        }
        json messages = json::array();
        for (const ChatMessage& m : g.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
        one.push_back({{"generated_text", messages}});
      }
      all.push_back(one);
    }
    return dump(single ? all[0] : all);
  }
  bool single;
  std::vector<std::string> prompts = text_inputs(inputs, "text-generation", single);
  json all = json::array();
  for (const std::string& prompt : prompts) {
    json one = json::array();
    for (const GeneratedText& g : p(prompt, options)) one.push_back({{"generated_text", g.generated_text}});
    all.push_back(one);
  }
  return dump(single ? all[0] : all);
}

}  // namespace

std::string normalize_task(const std::string& task) {
  for (const TaskName& t : kTasks)
    if (task == t.name) return t.canonical;
  std::string names;
  for (const TaskName& t : kTasks) names += std::string(names.empty() ? "" : ", ") + t.name;
  throw Error("[pipeline] unknown task '" + task + "' (available: " + names + ")");
}

std::vector<std::string> supported_tasks() {
  std::vector<std::string> out;
  for (const TaskName& t : kTasks) out.push_back(t.name);
  return out;
}

std::string default_task_for_architecture(const std::string& a) {
  if (ends_with(a, "ForCausalLM") || ends_with(a, "LMHeadModel")) return "text-generation";
  if (ends_with(a, "ForMaskedLM")) return "fill-mask";
  if (ends_with(a, "ForSequenceClassification")) return "text-classification";
  if (ends_with(a, "ForTokenClassification")) return "token-classification";
  if (ends_with(a, "ForQuestionAnswering")) return "question-answering";
  if (ends_with(a, "Model")) return "feature-extraction";
  throw Error("[pipeline] no default task for architecture '" + a + "'; name one with --task");
}

std::string default_task(const std::filesystem::path& model_dir) {
  if (is_sentence_transformers_folder(model_dir)) return "sentence-embeddings";
  json config = models::read_config_json(model_dir / "config.json");
  TFM_CHECK(config.contains("architectures") && config["architectures"].is_array() &&
                !config["architectures"].empty() && config["architectures"][0].is_string(),
            "[pipeline] ", (model_dir / "config.json").string(), " names no architectures; name the task");
  return default_task_for_architecture(config["architectures"][0].get<std::string>());
}

std::string Pipeline::operator()(const std::string& inputs_json, const std::string& options_json) {
  json inputs = json::parse(inputs_json, nullptr, false);
  TFM_CHECK(!inputs.is_discarded(), "[pipeline] inputs are not valid JSON: ", inputs_json);
  json options = json::parse(options_json.empty() ? "{}" : options_json, nullptr, false);
  TFM_CHECK(!options.is_discarded(), "[pipeline] options are not valid JSON: ", options_json);
  return std::visit(
      [&](auto& p) -> std::string {
        using T = std::decay_t<decltype(*p)>;
        if constexpr (std::is_same_v<T, TextClassificationPipeline>)
          return run_text_classification(*p, inputs, options);
        else if constexpr (std::is_same_v<T, FillMaskPipeline>) return run_fill_mask(*p, inputs, options);
        else if constexpr (std::is_same_v<T, TokenClassificationPipeline>)
          return run_token_classification(*p, inputs, options);
        else if constexpr (std::is_same_v<T, QuestionAnsweringPipeline>)
          return run_question_answering(*p, inputs, options);
        else if constexpr (std::is_same_v<T, FeatureExtractionPipeline>)
          return run_feature_extraction(*p, inputs, options);
        else if constexpr (std::is_same_v<T, SentenceTransformer>) return run_sentence_embeddings(*p, inputs, options);
        else if constexpr (std::is_same_v<T, ZeroShotClassificationPipeline>) return run_zero_shot(*p, inputs, options);
        else return run_text_generation(*p, inputs, options);
      },
      pipeline_);
}

std::unique_ptr<Pipeline> pipeline(const std::string& task, const std::filesystem::path& dir,
                                   const models::LoadOptions& options) {
  const std::string t = normalize_task(task.empty() ? default_task(dir) : task);
  auto make = [&](Pipeline::Any p) { return std::make_unique<Pipeline>(t, std::move(p)); };
  if (t == "text-classification") return make(TextClassificationPipeline::from_pretrained(dir, options));
  if (t == "fill-mask") return make(FillMaskPipeline::from_pretrained(dir, options));
  if (t == "token-classification") return make(TokenClassificationPipeline::from_pretrained(dir, options));
  if (t == "question-answering") return make(QuestionAnsweringPipeline::from_pretrained(dir, options));
  if (t == "feature-extraction") return make(FeatureExtractionPipeline::from_pretrained(dir, options));
  if (t == "sentence-embeddings") return make(SentenceTransformer::from_pretrained(dir, options));
  if (t == "zero-shot-classification") return make(ZeroShotClassificationPipeline::from_pretrained(dir, options));
  return make(TextGenerationPipeline::from_pretrained(dir, options));
}

}  // namespace transformers::pipelines
