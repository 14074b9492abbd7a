#include "transformers/pipelines/token_strings.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/tokenizers/components.h"
#include "transformers/tokenizers/json.h"

namespace transformers::pipelines {

TokenStrings::TokenStrings(const tok::PreTrainedTokenizer& tokenizer) {
  // The decoder and model settings are only reachable through the tokenizer.json they came from.
  nlohmann::json j = nlohmann::json::parse(tokenizer.tokenizer().to_json());
  if (j.contains("decoder") && !j["decoder"].is_null()) {
    tok::JsonDocument doc(j["decoder"].dump(), "tokenizer.json decoder");
    decoder_ = tok::make_decoder(doc.root());
  }
  const nlohmann::json& model = j.contains("model") ? j["model"] : nlohmann::json();
  if (model.is_object()) {
    auto it = model.find("continuing_subword_prefix");
    if (it != model.end() && it->is_string() && !it->get<std::string>().empty()) prefix_ = it->get<std::string>();
  }
}

TokenStrings::~TokenStrings() = default;
TokenStrings::TokenStrings(TokenStrings&&) noexcept = default;
TokenStrings& TokenStrings::operator=(TokenStrings&&) noexcept = default;

std::string TokenStrings::convert_tokens_to_string(const std::vector<std::string>& tokens) const {
  std::string out;
  if (!decoder_) {
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  std::vector<std::string> pieces = tokens;
  decoder_->decode_chain(pieces);
  for (const std::string& p : pieces) out += p;
  return out;
}

CodePoints::CodePoints(std::string_view text) : text_(text) {
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts_.push_back(i);
  starts_.push_back(text.size());
}

std::string CodePoints::slice(size_t begin, size_t end) const {
  begin = std::min(begin, size());
  end = std::min(end, size());
  if (begin >= end) return {};
  return std::string(text_.substr(starts_[begin], starts_[end] - starts_[begin]));
}

size_t code_point_length(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace transformers::pipelines
