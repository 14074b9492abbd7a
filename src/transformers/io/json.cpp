#include "transformers/io/json.h"

#include "transformers/core/error.h"
#include "transformers/io/file_util.h"

namespace transformers::io {

nlohmann::json parse_json(std::string_view text, const std::string& label) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message already says "parse error at line L, column C: ...".
    throw Error(detail::concat("[json] ", label, ": ", e.what()));
  }
}

nlohmann::json read_json(const std::filesystem::path& path) {
  return parse_json(read_text_file(path), path.string());
}

void write_json(const std::filesystem::path& path, const nlohmann::json& value, int indent) {
  write_file_atomic(path, value.dump(indent) + "\n");
}

}  // namespace transformers::io
