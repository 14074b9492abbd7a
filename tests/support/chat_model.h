#pragma once
// stories260K (the real llama2.c checkpoint in ../shared) with a chat template, for the chat
// tests of the text-generation pipeline and the `transformers chat` command.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "transformers/io/json.h"

namespace transformers::testing {

// role: content lines, then "assistant:" as the generation prompt.
inline const char* const kMinimalChatTemplate =
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}";

// A temporary folder `name` linking stories260K's files, with `chat_template` in its
// tokenizer_config.json.
inline std::filesystem::path stories_with_chat_template(const std::string& name,
                                                        const std::string& chat_template = kMinimalChatTemplate) {
  const std::filesystem::path src = shared_path("models/stories260K");
  const std::filesystem::path dir = temp_dir(name);
  for (const char* f : {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json"})
    std::filesystem::create_symlink(src / f, dir / f);
  nlohmann::json config = io::read_json(src / "tokenizer_config.json");
  config["chat_template"] = chat_template;
  io::write_json(dir / "tokenizer_config.json", config);
  return dir;
}

}  // namespace transformers::testing
