// safetensors reader: header parsing and validation (every rule the format states, each failure an
// Error naming the file and the tensor).
#include "transformers/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/io/mapped_file.h"

namespace transformers::io {

using nlohmann::json;

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

struct SafetensorsFile::Impl {
  std::filesystem::path path;
  std::shared_ptr<const void> owner;
  std::vector<TensorView> tensors;                        // offset order
  std::map<std::string, size_t, std::less<>> by_name;     // name -> index in tensors
  std::map<std::string, std::string> metadata;
};

namespace {

constexpr int kMaxHeaderDepth = 3;  // {"name": {"shape": [..]}} nests three levels deep

// Parses the header JSON, rejecting duplicate keys (nlohmann would silently keep the last one,
// so a file could hide a tensor entry) and nesting deeper than any valid header.
json parse_header_json(std::string_view text, const std::string& label) {
  std::vector<std::set<std::string>> open_objects;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        TFM_CHECK(depth < kMaxHeaderDepth, "[safetensors] ", label,
                  ": header nests deeper than a safetensors header can");
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end: open_objects.pop_back(); break;
      case json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        bool inserted = open_objects.back().insert(key).second;
        TFM_CHECK(inserted, "[safetensors] ", label, ": duplicate key '", key, "' in header",
                  open_objects.size() == 1 ? " (tensor named twice)" : "");
        break;
      }
      default: break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception& e) {
    throw Error(detail::concat("[safetensors] ", label, ": header is not valid JSON: ", e.what()));
  }
}

uint64_t read_u64_le(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | uint64_t(p[i]);
  return v;
}

// A non-negative JSON integer, or an error naming what it was meant to be.
uint64_t as_count(const json& v, const std::string& label, const std::string& name,
                  const char* what) {
  TFM_CHECK(v.is_number_integer(), "[safetensors] ", label, ": tensor '", name, "': ", what,
            " must be an integer, got ", v.dump());
  TFM_CHECK(v.is_number_unsigned(), "[safetensors] ", label, ": tensor '", name, "': ", what,
            " is negative (", v.get<int64_t>(), ")");
  return v.get<uint64_t>();
}

struct Entry {
  TensorView view;
  uint64_t begin, end;
};

Entry parse_entry(const std::string& name, const json& info, const std::string& label) {
  auto fail = [&](const auto&... msg) -> Error {
    return Error(detail::concat("[safetensors] ", label, ": tensor '", name, "': ", msg...));
  };
  if (!info.is_object()) throw fail("entry must be an object, got ", info.type_name());
  auto dtype_it = info.find("dtype");
  auto shape_it = info.find("shape");
  auto offsets_it = info.find("data_offsets");
  if (dtype_it == info.end()) throw fail("missing 'dtype'");
  if (shape_it == info.end()) throw fail("missing 'shape'");
  if (offsets_it == info.end()) throw fail("missing 'data_offsets'");
  if (!dtype_it->is_string()) throw fail("'dtype' must be a string, got ", dtype_it->dump());
  if (!shape_it->is_array()) throw fail("'shape' must be an array, got ", shape_it->dump());
  if (!offsets_it->is_array() || offsets_it->size() != 2)
    throw fail("'data_offsets' must be [begin, end], got ", offsets_it->dump());

  Entry e;
  e.view.name = name;
  const std::string& dtype_name = dtype_it->get_ref<const std::string&>();
  try {
    e.view.dtype = dtype_from_safetensors_name(dtype_name);
  } catch (const Error&) {
    throw fail("unknown dtype '", dtype_name,
               "' (known: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL F8_E4M3 F8_E5M2)");
  }
  // Element count with overflow checks: a hostile header must not wrap around to a small size.
  uint64_t numel = 1;
  for (const json& d : *shape_it) {
    uint64_t dim = as_count(d, label, name, "a dimension");
    if (dim > uint64_t(INT64_MAX) || __builtin_mul_overflow(numel, dim, &numel))
      throw fail("shape ", shape_it->dump(), " has too many elements");
    e.view.shape.push_back(int64_t(dim));
  }
  uint64_t nbytes;
  if (__builtin_mul_overflow(numel, uint64_t(dtype_size(e.view.dtype)), &nbytes))
    throw fail("shape ", shape_it->dump(), " has too many bytes");
  e.begin = as_count((*offsets_it)[0], label, name, "data_offsets[0]");
  e.end = as_count((*offsets_it)[1], label, name, "data_offsets[1]");
  if (e.end < e.begin) throw fail("data_offsets [", e.begin, ", ", e.end, "] end before begin");
  if (e.end - e.begin != nbytes)
    throw fail("dtype ", dtype_name, " x shape ", shape_it->dump(), " is ", nbytes,
               " bytes but data_offsets [", e.begin, ", ", e.end, "] span ", e.end - e.begin);
  e.view.nbytes = size_t(nbytes);
  return e;
}

}  // namespace

namespace {

std::shared_ptr<SafetensorsFile::Impl> parse_file(std::span<const std::byte> bytes,
                                                  std::shared_ptr<const void> owner,
                                                  const std::string& label) {
  TFM_CHECK(bytes.size() >= 8, "[safetensors] ", label, ": file is ", bytes.size(),
            " bytes, shorter than the 8-byte header length");
  uint64_t header_len = read_u64_le(bytes.data());
  TFM_CHECK(header_len <= kMaxSafetensorsHeaderBytes, "[safetensors] ", label,
            ": header length ", header_len, " is larger than the ", kMaxSafetensorsHeaderBytes,
            "-byte limit (not a safetensors file?)");
  TFM_CHECK(header_len <= bytes.size() - 8, "[safetensors] ", label, ": header length ",
            header_len, " goes beyond the end of the file (", bytes.size(), " bytes)");
  std::string_view header_text(reinterpret_cast<const char*>(bytes.data() + 8), header_len);
  json header = parse_header_json(header_text, label);
  TFM_CHECK(header.is_object(), "[safetensors] ", label, ": header must be a JSON object, got ",
            header.type_name());

  const std::byte* data_region = bytes.data() + 8 + header_len;
  const uint64_t data_size = bytes.size() - 8 - header_len;

  auto impl = std::make_shared<SafetensorsFile::Impl>();
  impl->path = label;
  impl->owner = std::move(owner);
  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      TFM_CHECK(info.is_object(), "[safetensors] ", label,
                ": __metadata__ must be an object of strings, got ", info.type_name());
      for (auto& [key, value] : info.items()) {
        TFM_CHECK(value.is_string(), "[safetensors] ", label, ": __metadata__ value for '", key,
                  "' must be a string, got ", value.dump());
        impl->metadata[key] = value.get<std::string>();
      }
      continue;
    }
    Entry e = parse_entry(name, info, label);
    TFM_CHECK(e.end <= data_size, "[safetensors] ", label, ": tensor '", name,
              "': data_offsets [", e.begin, ", ", e.end, "] beyond the data region (", data_size,
              " bytes)");
    entries.push_back(std::move(e));
  }

  // The data region must be covered exactly: sorted by offset, each tensor starts where the
  // previous one ended, the first at 0 and the last ends at the end of the file.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const std::string* previous = nullptr;
  for (const Entry& e : entries) {
    TFM_CHECK(e.begin >= covered, "[safetensors] ", label, ": tensor '", e.view.name,
              "': data_offsets [", e.begin, ", ", e.end, "] overlap tensor '",
              previous ? *previous : std::string(), "' (which ends at ", covered, ")");
    TFM_CHECK(e.begin == covered, "[safetensors] ", label, ": tensor '", e.view.name,
              "': data_offsets begin at ", e.begin, " leaving bytes [", covered, ", ", e.begin,
              ") of the data region unused");
    covered = e.end;
    previous = &e.view.name;
  }
  TFM_CHECK(covered == data_size, "[safetensors] ", label, ": the tensors cover ", covered,
            " bytes but the data region holds ", data_size,
            " (truncated or trailing bytes after the last tensor)");

  impl->tensors.reserve(entries.size());
  for (Entry& e : entries) {
    e.view.data = data_region + e.begin;
    impl->by_name.emplace(e.view.name, impl->tensors.size());
    impl->tensors.push_back(std::move(e.view));
  }
  return impl;
}

}  // namespace

SafetensorsFile SafetensorsFile::parse(std::span<const std::byte> bytes,
                                       std::shared_ptr<const void> owner,
                                       const std::string& label) {
  return SafetensorsFile(parse_file(bytes, std::move(owner), label));
}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  std::shared_ptr<const MappedFile> mapping = MappedFile::open(path);
  std::span<const std::byte> bytes = mapping->bytes();
  auto impl = parse_file(bytes, std::move(mapping), path.string());
  impl->path = path;
  return SafetensorsFile(std::move(impl));
}

const std::vector<TensorView>& SafetensorsFile::tensors() const { return impl_->tensors; }

const TensorView* SafetensorsFile::find(std::string_view name) const {
  auto it = impl_->by_name.find(name);
  return it == impl_->by_name.end() ? nullptr : &impl_->tensors[it->second];
}

const std::map<std::string, std::string>& SafetensorsFile::metadata() const {
  return impl_->metadata;
}

std::shared_ptr<const void> SafetensorsFile::keep_alive() const { return impl_->owner; }

const std::filesystem::path& SafetensorsFile::path() const { return impl_->path; }

}  // namespace transformers::io
