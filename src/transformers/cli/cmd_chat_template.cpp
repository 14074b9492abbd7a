// transformers chat-template MODEL --jsonl FILE: render each JSON line's conversation with the
// model's chat template, one JSON result line per input line (ARCHITECTURE.md "The command").
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "transformers/cli/commands.h"
#include "transformers/core/error.h"
#include "transformers/hub/hub.h"
#include "transformers/templates/chat_template.h"

namespace transformers::cli {

int cmd_chat_template(int argc, char** argv) {
  CLI::App app{"Render each line {\"messages\", \"add_generation_prompt\"?, \"tools\"?, \"documents\"?, "
               "\"extra\"?, \"continue_final_message\"?} of a JSONL file with the model's chat template; "
               "print {\"rendered\"} per line, or {\"error\"} when the template raises.",
               "transformers chat-template"};
  std::string model, jsonl, name;
  app.add_option("MODEL", model, "local folder or Hub id")->required();
  app.add_option("--jsonl", jsonl, "input file, one JSON object per line ('-' for stdin)")->required();
  app.add_option("--template", name, "use the chat template of this name (models with several)");
  CLI11_PARSE(app, argc, argv);

  templates::ChatTemplateSet chat(templates::load_chat_template_config(hub::resolve_model(model)),
                                  name.empty() ? std::nullopt : std::optional<std::string>(name));
  std::ifstream file;
  std::istream* in = &std::cin;
  if (jsonl != "-") {
    file.open(jsonl, std::ios::binary);
    TFM_CHECK(file, "[chat-template] cannot open ", jsonl);
    in = &file;
  }
  std::string line;
  while (std::getline(*in, line)) {
    if (line.empty()) continue;
    std::cout << chat.render_request_json(line) << '\n';
  }
  return 0;
}

}  // namespace transformers::cli
