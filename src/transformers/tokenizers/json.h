#pragma once
// A small read-only JSON view for tokenizer files, backed by simdjson (tokenizer.json files reach
// tens of MB and must load in milliseconds). Only json.cpp includes simdjson; everything else
// sees this view. Every accessor that fails throws transformers::Error naming the field path,
// e.g. "[tokenizers] tokenizer.json: model.merges[3]: expected a string".
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::tok {

class JsonDocument;

class Json {
 public:
  bool is_null() const;
  bool is_object() const;
  bool is_array() const;
  bool is_string() const;
  bool is_number() const;
  bool is_bool() const;

  // Field access. `at` requires the field; `get` returns nullopt when it is absent or null.
  Json at(std::string_view key) const;
  std::optional<Json> get(std::string_view key) const;
  bool has(std::string_view key) const;

  std::string_view str() const;
  int64_t integer() const;
  double number() const;
  bool boolean() const;
  std::vector<Json> items() const;  // array elements
  // An array of exactly two strings into `a`, `b` (false otherwise); for BPE merges, without the
  // per-element overhead of for_each_item.
  bool string_pair(std::string_view& a, std::string_view& b) const;
  size_t size() const;              // array or object size
  // Fast iteration for large arrays/objects: the element's path() is the container's; callers
  // name the index or key themselves when they report an error.
  void for_each_item(const std::function<void(size_t, const Json&)>& f) const;
  void for_each_field(const std::function<void(std::string_view, const Json&)>& f) const;

  // Convenience: typed field with a default when absent or null.
  std::string str_or(std::string_view key, std::string_view def) const;
  bool bool_or(std::string_view key, bool def) const;
  int64_t int_or(std::string_view key, int64_t def) const;
  double number_or(std::string_view key, double def) const;

  const std::string& path() const { return *path_; }
  [[noreturn]] void fail(std::string_view what) const;

 private:
  friend class JsonDocument;
  alignas(8) unsigned char elem_[16];  // a simdjson::dom::element (trivially copyable)
  std::shared_ptr<const std::string> path_;
};

// Owns the parsed document; Json views are valid while it lives.
class JsonDocument {
 public:
  // `name` prefixes error messages (e.g. "tokenizer.json"). Parses a padded copy of `text`.
  JsonDocument(std::string_view text, std::string name);
  // Parses `text` in place: it must have kPadding readable bytes after its end (e.g. a
  // std::string with that much spare capacity), which saves copying a large file once more.
  static constexpr size_t kPadding = 64;
  JsonDocument(std::string_view text, std::string name, bool padded);
  ~JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;
  Json root() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace transformers::tok
