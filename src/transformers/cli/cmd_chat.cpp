// transformers chat MODEL: an interactive conversation using the model's chat template.
// Reads one user turn per line; works the same when stdin is not a terminal (scripts, tests).
#include <unistd.h>

#include <cctype>
#include <filesystem>
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

// Written to FILE.tmp and renamed over FILE, so a failed save never leaves a truncated file.
void save_conversation(const std::vector<pipelines::ChatMessage>& history, const std::string& path) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : history) out.push_back({{"role", m.role}, {"content", m.content}});
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary);
    TFM_CHECK(file.good(), "cannot write ", path);
    file << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    file.flush();
    if (!file.good()) {
      std::filesystem::remove(tmp);
      throw Error("cannot write " + path);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw Error("cannot write " + path);
  }
}

// The line without the trailing whitespace (and the \r of a CRLF script).
std::string trim_end(std::string line) {
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}
}  // namespace

int cmd_chat(int argc, char** argv) {
  CLI::App app{
      "Chat with a model: one user turn per line, the reply streamed as it is generated. " +
          std::string(kHelp),
      "transformers chat"};
  std::string model, system_prompt, dtype = "float32", revision = "main", matmul_precision = "highest";
  std::optional<int64_t> max_new_tokens = 256, top_k;
  std::optional<double> temperature, top_p, repetition_penalty;
  std::optional<uint64_t> seed;
  std::optional<std::string> cache_implementation;
  std::optional<bool> do_sample;
  app.add_option("model", model, "model folder or Hub id")->required();
  app.add_option("--system", system_prompt, "system prompt (first message of every conversation)");
  app.add_option("--max-new-tokens", max_new_tokens, "longest reply, in tokens");
  add_do_sample_option(app, do_sample);
  app.add_option("--temperature", temperature);
  app.add_option("--top-k", top_k);
  app.add_option("--top-p", top_p);
  app.add_option("--repetition-penalty", repetition_penalty);
  app.add_option("--seed", seed);
  add_cache_implementation_option(app, cache_implementation);
  bool no_cache_reuse = false;
  app.add_flag("--no-cache-reuse", no_cache_reuse,
               "process the whole conversation every turn instead of keeping the KV cache between turns");
  app.add_option("--dtype", dtype, "weight/compute dtype: float32, float16, bfloat16");
  add_matmul_precision_option(app, matmul_precision);
  app.add_option("--revision", revision, "Hub revision");
  CLI11_PARSE(app, argc, argv);
  runtime::set_float32_matmul_precision(matmul_precision);

  models::LoadOptions load;
  load.dtype = parse_dtype_flag(dtype);
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(resolve_model_dir(model, revision), load);
  pipe->chat_templates();  // a missing or broken template ends the command before the first turn
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = max_new_tokens;
  options.do_sample = do_sample;
  options.temperature = temperature;
  options.top_k = top_k;
  options.top_p = top_p;
  options.repetition_penalty = repetition_penalty;
  options.seed = seed;
  options.cache_implementation = cache_implementation;
  // Each turn feeds only what the conversation adds (TextGenerationOptions::reuse_kv_cache).
  options.reuse_kv_cache = !no_cache_reuse;
  // Replies stream, except from beam search (a folder whose generation_config.json sets
  // num_beams), which is printed when done.
  const bool beams = pipe->generation_config().num_beams > 1 || pipe->generation_config().num_return_sequences > 1;
  if (!beams) options.streamer = [](const std::string& piece) { std::cout << piece << std::flush; };

  const bool interactive = isatty(STDIN_FILENO);
  std::vector<pipelines::ChatMessage> history;
  auto reset = [&] {
    history.clear();
    if (!system_prompt.empty()) history.push_back({"system", system_prompt});
  };
  reset();
  if (interactive) std::cout << kHelp;
  // A failed turn or /save is reported and the conversation goes on (it is never lost); the exit
  // status says whether anything failed.
  int status = 0;
  auto report = [&](const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    status = 1;
  };
  std::string line;
  while (true) {
    if (interactive) std::cout << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    line = trim_end(line);
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/clear") {
      reset();
      std::cout << "(conversation cleared)\n";
      continue;
    }
    if (line == "/save" || line.rfind("/save ", 0) == 0) {
      const size_t start = line.find_first_not_of(' ', 5);
      const std::string path = start == std::string::npos ? "" : line.substr(start);
      if (path.empty()) {
        std::cerr << "usage: /save FILE\n";
        continue;
      }
      try {
        save_conversation(history, path);
        std::cout << "(saved " << history.size() << " messages to " << path << ")\n";
      } catch (const std::exception& e) {
        report(e);
      }
      continue;
    }
    if (line[0] == '/') {
      std::cerr << "unknown command " << line << "; " << kHelp;
      continue;
    }
    history.push_back({"user", line});
    try {
      std::vector<pipelines::GeneratedText> reply = (*pipe)(history, options);
      if (!options.streamer) std::cout << reply[0].generated_text;
      std::cout << "\n";
      history.push_back(reply[0].messages.back());
    } catch (const std::exception& e) {
      std::cout << std::endl;
      history.pop_back();  // the turn failed: the conversation is as before it
      report(e);
    }
  }
  return status;
}

}  // namespace transformers::cli
