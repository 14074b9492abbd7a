#include "transformers/tokenizers/json.h"

#include <cstring>

#include <simdjson.h>

#include "transformers/core/error.h"

namespace transformers::tok {

namespace dom = simdjson::dom;
static_assert(sizeof(dom::element) <= 16 && std::is_trivially_copyable_v<dom::element>);

namespace {
dom::element el(const unsigned char* p) {
  dom::element e;
  std::memcpy(&e, p, sizeof e);
  return e;
}
}  // namespace

struct JsonDocument::Impl {
  dom::parser parser;
  dom::element root;
  std::string name;
};

JsonDocument::JsonDocument(std::string_view text, std::string name) : JsonDocument(text, std::move(name), false) {}

JsonDocument::JsonDocument(std::string_view text, std::string name, bool padded) : impl_(std::make_unique<Impl>()) {
  static_assert(kPadding >= simdjson::SIMDJSON_PADDING);
  impl_->name = std::move(name);
  // Without padding simdjson parses a padded copy (realloc_if_needed).
  auto r = impl_->parser.parse(text.data(), text.size(), !padded);
  if (r.error()) {
    throw Error(detail::concat("[tokenizers] ", impl_->name, ": invalid JSON (",
                               simdjson::error_message(r.error()), ")"));
  }
  impl_->root = r.value_unsafe();
}

JsonDocument::~JsonDocument() = default;

Json JsonDocument::root() const {
  Json j;
  std::memcpy(j.elem_, &impl_->root, sizeof(dom::element));
  j.path_ = std::make_shared<const std::string>(impl_->name + ":");
  return j;
}

void Json::fail(std::string_view what) const {
  throw Error(detail::concat("[tokenizers] ", *path_, " ", what));
}

bool Json::is_null() const { return el(elem_).is_null(); }
bool Json::is_object() const { return el(elem_).is_object(); }
bool Json::is_array() const { return el(elem_).is_array(); }
bool Json::is_string() const { return el(elem_).is_string(); }
bool Json::is_number() const { return el(elem_).is_number(); }
bool Json::is_bool() const { return el(elem_).is_bool(); }

std::optional<Json> Json::get(std::string_view key) const {
  dom::element e = el(elem_);
  if (!e.is_object()) fail("expected an object");
  auto r = e.get_object().value_unsafe()[key];
  if (r.error() || r.value_unsafe().is_null()) return std::nullopt;
  Json j;
  dom::element c = r.value_unsafe();
  std::memcpy(j.elem_, &c, sizeof c);
  std::string p = *path_;
  if (p.back() != ':') p += ".";
  else p += " ";
  p += key;
  j.path_ = std::make_shared<const std::string>(std::move(p));
  return j;
}

Json Json::at(std::string_view key) const {
  auto j = get(key);
  if (!j) fail(detail::concat("missing required field '", key, "'"));
  return *j;
}

bool Json::has(std::string_view key) const { return get(key).has_value(); }

std::string_view Json::str() const {
  auto r = el(elem_).get_string();
  if (r.error()) fail("expected a string");
  return r.value_unsafe();
}
int64_t Json::integer() const {
  dom::element e = el(elem_);
  if (e.is_int64()) return e.get_int64().value_unsafe();
  if (e.is_uint64()) return static_cast<int64_t>(e.get_uint64().value_unsafe());
  fail("expected an integer");
}
double Json::number() const {
  auto r = el(elem_).get_double();
  if (r.error()) fail("expected a number");
  return r.value_unsafe();
}
bool Json::boolean() const {
  auto r = el(elem_).get_bool();
  if (r.error()) fail("expected a boolean");
  return r.value_unsafe();
}

std::vector<Json> Json::items() const {
  auto r = el(elem_).get_array();
  if (r.error()) fail("expected an array");
  std::vector<Json> out;
  size_t i = 0;
  for (dom::element c : r.value_unsafe()) {
    Json j;
    std::memcpy(j.elem_, &c, sizeof c);
    j.path_ = std::make_shared<const std::string>(detail::concat(*path_, "[", i++, "]"));
    out.push_back(std::move(j));
  }
  return out;
}

bool Json::string_pair(std::string_view& a, std::string_view& b) const {
  auto r = el(elem_).get_array();
  if (r.error()) return false;
  size_t n = 0;
  for (dom::element c : r.value_unsafe()) {
    auto s = c.get_string();
    if (s.error() || n >= 2) return false;
    (n++ == 0 ? a : b) = s.value_unsafe();
  }
  return n == 2;
}

size_t Json::size() const {
  dom::element e = el(elem_);
  if (e.is_array()) return e.get_array().value_unsafe().size();
  if (e.is_object()) return e.get_object().value_unsafe().size();
  fail("expected an array or object");
}

void Json::for_each_item(const std::function<void(size_t, const Json&)>& f) const {
  auto r = el(elem_).get_array();
  if (r.error()) fail("expected an array");
  Json j;
  j.path_ = path_;
  size_t i = 0;
  for (dom::element c : r.value_unsafe()) {
    std::memcpy(j.elem_, &c, sizeof c);
    f(i++, j);
  }
}

void Json::for_each_field(const std::function<void(std::string_view, const Json&)>& f) const {
  auto r = el(elem_).get_object();
  if (r.error()) fail("expected an object");
  Json j;
  j.path_ = path_;  // field paths are built lazily only on error (see below)
  for (auto field : r.value_unsafe()) {
    dom::element c = field.value;
    std::memcpy(j.elem_, &c, sizeof c);
    f(field.key, j);
  }
}

std::string Json::str_or(std::string_view key, std::string_view def) const {
  auto j = get(key);
  return j ? std::string(j->str()) : std::string(def);
}
bool Json::bool_or(std::string_view key, bool def) const {
  auto j = get(key);
  return j ? j->boolean() : def;
}
int64_t Json::int_or(std::string_view key, int64_t def) const {
  auto j = get(key);
  return j ? j->integer() : def;
}
double Json::number_or(std::string_view key, double def) const {
  auto j = get(key);
  return j ? j->number() : def;
}

}  // namespace transformers::tok
