// transformers tokenize MODEL --jsonl FILE: encode and decode each JSON line with the model's
// tokenizer, one JSON result line per input line (ARCHITECTURE.md "The command").
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "transformers/cli/commands.h"
#include "transformers/core/error.h"
#include "transformers/hub/hub.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::cli {

int cmd_tokenize(int argc, char** argv) {
  CLI::App app{"Tokenize each line {\"text\", \"text_pair\"?, \"add_special_tokens\"?} of a JSONL file; print "
               "{\"ids\", \"tokens\", \"type_ids\", \"offsets\", \"decoded\", \"decoded_skip_special\"} per line.",
               "transformers tokenize"};
  std::string model, jsonl;
  app.add_option("MODEL", model, "local folder or Hub id")->required();
  app.add_option("--jsonl", jsonl, "input file, one JSON object per line ('-' for stdin)")->required();
  CLI11_PARSE(app, argc, argv);

  auto tok = tok::AutoTokenizer::from_pretrained(hub::resolve_model(model));
  std::ifstream file;
  std::istream* in = &std::cin;
  if (jsonl != "-") {
    file.open(jsonl, std::ios::binary);
    TFM_CHECK(file, "[tokenize] cannot open ", jsonl);
    in = &file;
  }
  std::string line;
  size_t n = 0;
  while (std::getline(*in, line)) {
    ++n;
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      throw Error(detail::concat("[tokenize] ", jsonl, " line ", n, ": invalid JSON (", e.what(), ")"));
    }
    TFM_CHECK(j.is_object() && j.contains("text") && j["text"].is_string(), "[tokenize] ", jsonl, " line ", n,
              ": expected an object with a string \"text\"");
    bool add = j.value("add_special_tokens", true);
    std::string text = j["text"];
    auto enc = j.contains("text_pair") && j["text_pair"].is_string()
                   ? tok.tokenizer().encode_pair(text, j["text_pair"].get<std::string>(), add)
                   : tok.tokenizer().encode(text, add);
    nlohmann::ordered_json out;  // keys in the documented order
    out["ids"] = enc.ids;
    out["tokens"] = enc.tokens;
    out["type_ids"] = enc.type_ids;
    out["offsets"] = enc.offsets;
    out["decoded"] = tok.decode(enc.ids, false);
    out["decoded_skip_special"] = tok.decode(enc.ids, true);
    std::cout << out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
  }
  return 0;
}

}  // namespace transformers::cli
