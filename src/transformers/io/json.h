#pragma once
// JSON helpers for config files (config.json, generation_config.json, index files ...).
// This header includes nlohmann/json: include it from .cpp files, not from widely used headers.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace transformers::io {

// Reads and parses a JSON file. Errors name the file, and the line and column of a syntax error.
nlohmann::json read_json(const std::filesystem::path& path);

// Parses JSON text; `label` names its source in errors (a file name, "--config" ...).
nlohmann::json parse_json(std::string_view text, const std::string& label);

// Writes `value` with `indent` spaces and a final newline, atomically (temp file + rename).
void write_json(const std::filesystem::path& path, const nlohmann::json& value, int indent = 2);

}  // namespace transformers::io
