#pragma once
// JSON <-> Value. Parsing keeps object keys in document order (Python's json.loads does);
// serializing is Python's json.dumps as Hugging Face's `tojson` filter calls it:
// ensure_ascii=False, keys in insertion order, separators ", " / ": " (or "," / ": " with indent).
// <nlohmann/json.hpp> stays out of this header on purpose: it is included widely.
#include <optional>
#include <string>
#include <string_view>

#include "transformers/templates/value.h"

namespace transformers::templates {

// Throws TemplateError(Type) on malformed JSON.
Value parse_json(std::string_view text);

struct JsonDumpOptions {
  std::optional<std::string> indent;  // spaces (or the given string) per level; none: one line
  std::optional<std::string> item_separator;  // default: ", " without indent, "," with
  std::string key_separator = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};

// Fails with TemplateError(Type) for values JSON cannot hold (undefined, macros ...).
std::string dump_json(const Value& v, const JsonDumpOptions& options = {});

}  // namespace transformers::templates
