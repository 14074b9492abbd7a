#pragma once
// Runs a fixture's cases.jsonl through a tokenizer and compares with Hugging Face's values
// (ids, tokens, type_ids, offsets, decoded, decoded_skip_special). Shared by the tokenizer.json
// fixture test and the legacy-file conversion test.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::tok::testing {

// Runs every case of one folder through `tok`; returns failures as readable lines.
inline std::vector<std::string> run_cases(const PreTrainedTokenizer& tok,
                                          const std::filesystem::path& cases, size_t& total) {
  std::ifstream in(cases);
  std::string line;
  std::vector<std::string> failures;
  size_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++n;
    auto c = nlohmann::json::parse(line);
    std::string text = c["text"];
    bool add = c["add_special_tokens"];
    std::optional<std::string> pair;
    if (c.contains("text_pair")) pair = c["text_pair"].get<std::string>();
    auto enc = pair ? tok.tokenizer().encode_pair(text, *pair, add) : tok.tokenizer().encode(text, add);
    std::vector<std::pair<size_t, size_t>> offsets;
    for (auto& o : c["offsets"]) offsets.emplace_back(o[0].get<size_t>(), o[1].get<size_t>());
    std::string what;
    if (enc.ids != c["ids"].get<std::vector<int32_t>>()) what += " ids";
    if (enc.tokens != c["tokens"].get<std::vector<std::string>>()) what += " tokens";
    if (enc.type_ids != c["type_ids"].get<std::vector<int32_t>>()) what += " type_ids";
    if (enc.offsets != offsets) what += " offsets";
    std::vector<int32_t> ids = c["ids"].get<std::vector<int32_t>>();
    if (tok.decode(ids, false) != c["decoded"].get<std::string>()) what += " decoded";
    if (tok.decode(ids, true) != c["decoded_skip_special"].get<std::string>()) what += " decoded_skip_special";
    if (!what.empty()) {
      std::ostringstream ss;
      ss << "line " << n << " (" << c["category"].get<std::string>() << ", add_special=" << add << "):" << what
         << "\n    text: " << nlohmann::json(text).dump();
      if (what.find("ids") != std::string::npos || what.find("tokens") != std::string::npos) {
        ss << "\n    got ids: " << nlohmann::json(enc.ids).dump() << "\n    want:    " << c["ids"].dump();
        ss << "\n    got tokens: " << nlohmann::json(enc.tokens).dump() << "\n    want:       " << c["tokens"].dump();
      } else if (what.find("offsets") != std::string::npos) {
        ss << "\n    got offsets: " << nlohmann::json(enc.offsets).dump()
           << "\n    want:        " << c["offsets"].dump();
      } else if (what.find("decoded") != std::string::npos) {
        ss << "\n    got: "
           << nlohmann::json(tok.decode(ids, what.find("skip") != std::string::npos &&
                                                 what.find(" decoded ") == std::string::npos))
                  .dump()
           << "\n    want: " << c["decoded"].dump() << " / " << c["decoded_skip_special"].dump();
      }
      failures.push_back(ss.str());
    }
  }
  total = n;
  return failures;
}

}  // namespace transformers::tok::testing
