// transformers run MODEL INPUT [--task T]: a pipeline on one input, printed as text or HF-shaped JSON.
#include <cstdio>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "transformers/cli/commands.h"
#include "transformers/cli/model_args.h"
#include "transformers/core/error.h"
#include "transformers/pipelines/pipeline.h"
#include "transformers/core/runtime.h"

namespace transformers::cli {

namespace {

int run_text_generation(pipelines::TextGenerationPipeline& pipe, const std::string& prompt,
                        pipelines::TextGenerationOptions options, bool json, bool stream) {
  if (stream && !json) {
    if (options.return_full_text) std::cout << prompt;
    options.streamer = [](const std::string& piece) { std::cout << piece << std::flush; };
  }
  std::vector<pipelines::GeneratedText> results = pipe(prompt, options);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : results) out.push_back({{"generated_text", r.generated_text}});
    // Invalid UTF-8 from a model's byte tokens is replaced, never a crash.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (stream) {
    std::cout << "\n";
  } else {
    for (const auto& r : results) std::cout << r.generated_text << "\n";
  }
  return 0;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  CLI::App app{"Run a pipeline on one input. The task comes from the model unless --task names it: "
               "text-generation for causal language models, else architectures[0]'s head (ForMaskedLM: "
               "fill-mask, ForSequenceClassification: text-classification, ForTokenClassification: "
               "token-classification, ForQuestionAnswering: question-answering, a base model: "
               "feature-extraction; a sentence-transformers folder: sentence-embeddings).",
               "transformers run"};
  std::string model, input, task, dtype = "float32", revision = "main", options_json, matmul_precision = "highest";
  std::optional<std::string> context, text_pair, candidate_labels, hypothesis_template, aggregation_strategy,
      function_to_apply;
  std::vector<std::string> targets, ignore_labels;
  std::optional<int64_t> max_new_tokens, top_k, num_beams, num_return_sequences, stride, doc_stride, max_answer_len,
      max_seq_len;
  std::optional<double> temperature, top_p, repetition_penalty;
  std::optional<uint64_t> seed;
  std::optional<bool> do_sample;
  bool json = false, no_full_text = false, stream = false, multi_label = false,
       handle_impossible = false, truncation = false, normalize = false, all_labels = false;
  app.add_option("model", model, "model folder or Hub id")->required();
  app.add_option("input", input, "the input text (the question for question-answering)")->required();
  app.add_option("--task", task, "pipeline task or alias: " + [] {
    std::string s;
    for (const std::string& t : pipelines::supported_tasks()) s += (s.empty() ? "" : ", ") + t;
    return s;
  }());
  app.add_flag("--json", json, "print the output as Hugging Face's pipeline returns it, as JSON");
  app.add_option("--options", options_json, "more pipeline keyword arguments as a JSON object (HF names)");
  // text-classification / fill-mask / token-classification / question-answering
  app.add_option("--top-k", top_k, "how many results (labels, fillers, answers; sampling top_k for generation)");
  app.add_flag("--all-labels", all_labels, "text-classification: every label (HF top_k=None)");
  app.add_option("--text-pair", text_pair, "text-classification: second text of a pair");
  app.add_option("--function-to-apply", function_to_apply, "text-classification: softmax, sigmoid or none");
  app.add_flag("--truncation", truncation, "truncate inputs longer than the model's maximum");
  app.add_option("--targets", targets, "fill-mask: candidate tokens")->delimiter(',');
  app.add_option("--aggregation-strategy", aggregation_strategy,
                 "token-classification: none, simple, first, average or max");
  app.add_option("--ignore-labels", ignore_labels, "token-classification: labels to drop (default O)")->delimiter(',');
  app.add_option("--stride", stride, "token-classification: split long texts into overlapping windows");
  app.add_option("--context", context, "question-answering: the context to find the answer in");
  app.add_option("--doc-stride", doc_stride, "question-answering: overlap of context windows");
  app.add_option("--max-answer-len", max_answer_len, "question-answering: longest answer in tokens");
  app.add_option("--max-seq-len", max_seq_len, "question-answering: tokens per window");
  app.add_flag("--handle-impossible-answer", handle_impossible, "question-answering: allow the empty answer");
  app.add_option("--candidate-labels", candidate_labels, "zero-shot-classification: comma-separated labels");
  app.add_option("--hypothesis-template", hypothesis_template, "zero-shot-classification: e.g. 'This example is {}.'");
  app.add_flag("--multi-label", multi_label, "zero-shot-classification: score each label on its own");
  app.add_flag("--normalize", normalize, "sentence-embeddings: L2-normalize the embedding");
  // text-generation
  app.add_option("--max-new-tokens", max_new_tokens, "text-generation: new tokens to generate");
  add_do_sample_option(app, do_sample);
  app.add_option("--temperature", temperature);
  app.add_option("--top-p", top_p);
  app.add_option("--repetition-penalty", repetition_penalty);
  app.add_option("--num-beams", num_beams);
  app.add_option("--num-return-sequences", num_return_sequences, "text-generation: sequences per prompt");
  app.add_option("--seed", seed, "random seed for sampling");
  app.add_flag("--no-full-text", no_full_text, "text-generation: print only the completion (return_full_text=False)");
  app.add_flag("--stream", stream, "text-generation: print text as it is generated");
  std::optional<std::string> cache_implementation;
  add_cache_implementation_option(app, cache_implementation);
  std::vector<std::string> stop;
  app.add_option("--stop", stop, "text-generation: stop once the text ends with this string (repeatable)");
  app.add_option("--dtype", dtype, "weight/compute dtype: float32, float16, bfloat16");
  add_matmul_precision_option(app, matmul_precision);
  app.add_option("--revision", revision, "Hub revision (branch, tag or commit)");
  CLI11_PARSE(app, argc, argv);
  runtime::set_float32_matmul_precision(matmul_precision);

  const std::filesystem::path dir = resolve_model_dir(model, revision);
  const std::string canonical = pipelines::normalize_task(task.empty() ? pipelines::default_task(dir) : task);
  models::LoadOptions load;
  load.dtype = parse_dtype_flag(dtype);
  std::unique_ptr<pipelines::Pipeline> pipe = pipelines::pipeline(canonical, dir, load);

  if (canonical == "text-generation") {
    pipelines::TextGenerationOptions options;
    options.max_new_tokens = max_new_tokens;
    options.do_sample = do_sample;
    options.temperature = temperature;
    options.top_k = top_k;
    options.top_p = top_p;
    options.repetition_penalty = repetition_penalty;
    options.num_beams = num_beams;
    options.num_return_sequences = num_return_sequences;
    options.seed = seed;
    options.return_full_text = !no_full_text;
    options.stop_strings = stop;
    options.cache_implementation = cache_implementation;
    return run_text_generation(pipe->as<pipelines::TextGenerationPipeline>(), input, options, json, stream);
  }

  // The flags as HF keyword arguments; --options adds (or overrides) any of them.
  nlohmann::json options = nlohmann::json::object();
  nlohmann::json inputs = input;
  auto put = [&](const char* key, const auto& value) {
    if (value) options[key] = *value;
  };
  if (canonical == "text-classification") {
    if (all_labels) options["top_k"] = nullptr;
    put("top_k", top_k);
    put("function_to_apply", function_to_apply);
    if (truncation) options["truncation"] = true;
    if (text_pair) inputs = {{"text", input}, {"text_pair", *text_pair}};
  } else if (canonical == "fill-mask") {
    put("top_k", top_k);
    if (!targets.empty()) options["targets"] = targets;
  } else if (canonical == "token-classification") {
    put("aggregation_strategy", aggregation_strategy);
    if (app.count("--ignore-labels")) options["ignore_labels"] = ignore_labels;
    put("stride", stride);
  } else if (canonical == "question-answering") {
    TFM_CHECK(context.has_value(), "question-answering needs --context (INPUT is the question)");
    inputs = {{"question", input}, {"context", *context}};
    put("top_k", top_k);
    put("doc_stride", doc_stride);
    put("max_answer_len", max_answer_len);
    put("max_seq_len", max_seq_len);
    if (handle_impossible) options["handle_impossible_answer"] = true;
  } else if (canonical == "zero-shot-classification") {
    TFM_CHECK(candidate_labels.has_value(), "zero-shot-classification needs --candidate-labels 'a,b,c'");
    options["candidate_labels"] = *candidate_labels;
    put("hypothesis_template", hypothesis_template);
    if (multi_label) options["multi_label"] = true;
  } else if (canonical == "feature-extraction") {
    if (truncation) options["truncation"] = true;
  } else if (canonical == "sentence-embeddings") {
    if (normalize) options["normalize_embeddings"] = true;
  }
  if (!options_json.empty()) {
    nlohmann::json extra = nlohmann::json::parse(options_json, nullptr, false);
    TFM_CHECK(extra.is_object(), "--options must be a JSON object, got: ", options_json);
    options.update(extra);
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::parse((*pipe)(inputs.dump(), options.dump()));
  std::cout << (json ? out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                     : out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace))
            << "\n";
  return 0;
}

}  // namespace transformers::cli
