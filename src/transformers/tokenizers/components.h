#pragma once
// The pipeline's component interfaces (normalizer → pre-tokenizer → model → post-processor,
// and decoder), each built from its tokenizer.json object by a factory keyed on "type".
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "transformers/tokenizers/encoding.h"
#include "transformers/tokenizers/normalized_string.h"

namespace transformers::tok {

class Json;

// A token as a model emits it: offsets are bytes of the piece's normalized string.
struct Token {
  uint32_t id;
  std::string value;
  uint32_t start, end;
};

// One piece of the pre-tokenized input; `done` once added-token matching or the model filled it.
struct Split {
  NormalizedString ns;
  bool done = false;
  std::vector<Token> tokens;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& s) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits every piece that is not done; drops empty pieces.
  virtual void pre_tokenize(std::vector<Split>& splits) const = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual void tokenize(const NormalizedString& piece, std::vector<Token>& out) const = 0;
  virtual std::optional<uint32_t> token_to_id(std::string_view token) const = 0;
  virtual const std::string* id_to_token(uint32_t id) const = 0;
  virtual size_t vocab_size() const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual size_t added_tokens(bool is_pair) const = 0;
  // Works on the list of encodings (one per input sequence) so that processors can be chained
  // (HF `process_encodings`); the caller concatenates what is left.
  virtual void process_encodings(std::vector<Encoding>& encodings, bool add_special_tokens) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// Factories: `j` is the component's JSON object; errors name the bad field.
std::unique_ptr<Normalizer> make_normalizer(const Json& j);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& j);
std::unique_ptr<Model> make_model(const Json& j);
std::unique_ptr<PostProcessor> make_post_processor(const Json& j);
std::unique_ptr<Decoder> make_decoder(const Json& j);

// Applies `fn(piece, out)` to every piece that is not done (HF PreTokenizedString::split).
template <typename Fn>
void split_pieces(std::vector<Split>& splits, Fn&& fn) {
  std::vector<Split> next;
  next.reserve(splits.size() * 2);
  std::vector<NormalizedString> parts;
  for (Split& s : splits) {
    if (s.done) {
      next.push_back(std::move(s));
      continue;
    }
    parts.clear();
    fn(std::move(s.ns), parts);
    for (NormalizedString& p : parts)
      if (!p.empty()) next.push_back(Split{std::move(p), false, {}});
  }
  splits = std::move(next);
}

// "Removed", "Isolated", ... as in tokenizer.json.
SplitBehavior parse_split_behavior(const Json& j);
// A {"String": s} or {"Regex": r} pattern object.
Pattern parse_pattern(const Json& j);

}  // namespace transformers::tok
