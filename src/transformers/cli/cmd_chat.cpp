// transformers chat MODEL: an interactive conversation using the model's chat template.
// Reads one user turn per line; works the same when stdin is not a terminal (scripts, tests).
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "transformers/cli/commands.h"
#include "transformers/cli/model_args.h"
#include "transformers/core/error.h"
#include "transformers/pipelines/text_generation.h"
#include "transformers/core/runtime.h"

namespace transformers::cli {

namespace {
constexpr const char* kHelp =
    "commands: /clear (forget the conversation), /save FILE (write it as JSON), /exit (or end of input)\n";

void save_conversation(const std::vector<pipelines::ChatMessage>& history, const std::string& path) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : history) out.push_back({{"role", m.role}, {"content", m.content}});
  std::ofstream file(path);
  TFM_CHECK(file.good(), "cannot write ", path);
  file << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  TFM_CHECK(file.good(), "cannot write ", path);
}
}  // namespace

int cmd_chat(int argc, char** argv) {
  CLI::App app{"Chat with a model: one user turn per line, the reply streamed as it is generated. " + std::string(kHelp),
               "transformers chat"};
  std::string model, system_prompt, dtype = "float32", revision = "main", matmul_precision = "highest";
  std::optional<int64_t> max_new_tokens = 256, top_k;
  std::optional<double> temperature, top_p, repetition_penalty;
  std::optional<uint64_t> seed;
  std::optional<std::string> cache_implementation;
  bool do_sample = false;
  app.add_option("model", model, "model folder or Hub id")->required();
  app.add_option("--system", system_prompt, "system prompt (first message of every conversation)");
  app.add_option("--max-new-tokens", max_new_tokens, "longest reply, in tokens");
  app.add_flag("--do-sample", do_sample, "sample instead of greedy search");
  app.add_option("--temperature", temperature);
  app.add_option("--top-k", top_k);
  app.add_option("--top-p", top_p);
  app.add_option("--repetition-penalty", repetition_penalty);
  app.add_option("--seed", seed);
  add_cache_implementation_option(app, cache_implementation);
  app.add_option("--dtype", dtype, "weight/compute dtype: float32, float16, bfloat16");
  add_matmul_precision_option(app, matmul_precision);
  app.add_option("--revision", revision, "Hub revision");
  CLI11_PARSE(app, argc, argv);
  runtime::set_float32_matmul_precision(matmul_precision);

  models::LoadOptions load;
  load.dtype = parse_dtype_flag(dtype);
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(resolve_model_dir(model, revision), load);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = max_new_tokens;
  if (do_sample) options.do_sample = true;
  options.temperature = temperature;
  options.top_k = top_k;
  options.top_p = top_p;
  options.repetition_penalty = repetition_penalty;
  options.seed = seed;
  options.cache_implementation = cache_implementation;
  options.streamer = [](const std::string& piece) { std::cout << piece << std::flush; };

  const bool interactive = isatty(STDIN_FILENO);
  std::vector<pipelines::ChatMessage> history;
  auto reset = [&] {
    history.clear();
    if (!system_prompt.empty()) history.push_back({"system", system_prompt});
  };
  reset();
  if (interactive) std::cout << kHelp;
  std::string line;
  while (true) {
    if (interactive) std::cout << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/clear") {
      reset();
      std::cout << "(conversation cleared)\n";
      continue;
    }
    if (line.rfind("/save", 0) == 0) {
      std::string path = line.size() > 6 ? line.substr(6) : "";
      if (path.empty()) {
        std::cerr << "usage: /save FILE\n";
        continue;
      }
      save_conversation(history, path);
      std::cout << "(saved " << history.size() << " messages to " << path << ")\n";
      continue;
    }
    if (line[0] == '/') {
      std::cerr << "unknown command " << line << "; " << kHelp;
      continue;
    }
    history.push_back({"user", line});
    std::vector<pipelines::GeneratedText> reply = (*pipe)(history, options);
    std::cout << "\n";
    history.push_back(reply[0].messages.back());
  }
  return 0;
}

}  // namespace transformers::cli
