// safetensors writer, byte-compatible with the Python/Rust writer's layout.
#include <algorithm>
#include <cstring>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/io/checkpoint.h"
#include "transformers/io/file_util.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"

namespace transformers::io {

namespace fs = std::filesystem;

namespace {

// The Rust writer sorts by its Dtype enum, which lists types in increasing alignment order, largest
// first; matching it keeps every tensor aligned to its element size and our files identical to its.
int rust_dtype_rank(DType t) {
  switch (t) {
    case DType::Bool: return 0;
    case DType::UInt8: return 1;
    case DType::Int8: return 2;
    case DType::Float8E5M2: return 3;
    case DType::Float8E4M3: return 4;
    case DType::Int16: return 5;
    case DType::Float16: return 7;
    case DType::BFloat16: return 8;
    case DType::Int32: return 9;
    case DType::Float32: return 11;
    case DType::Float64: return 12;
    case DType::Int64: return 13;
  }
  TFM_UNREACHABLE();
}

size_t byte_size(const TensorToWrite& t, const fs::path& path) {
  uint64_t n = dtype_size(t.dtype);
  for (int64_t d : t.shape) {
    TFM_CHECK(d >= 0, "[safetensors] ", path.string(), ": tensor '", t.name,
              "' has a negative dimension");
    TFM_CHECK(!__builtin_mul_overflow(n, uint64_t(d), &n), "[safetensors] ", path.string(),
              ": tensor '", t.name, "' is too large");
  }
  return size_t(n);
}

std::string json_string(const std::string& s, const fs::path& path) {
  try {
    return nlohmann::json(s).dump();
  } catch (const nlohmann::json::exception&) {
    throw Error(detail::concat("[safetensors] ", path.string(), ": name or metadata '", s,
                               "' is not valid UTF-8"));
  }
}

}  // namespace

void save_safetensors(const fs::path& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorToWrite*> order;
  std::set<std::string_view> names;
  for (const TensorToWrite& t : tensors) {
    TFM_CHECK(t.name != "__metadata__", "[safetensors] ", path.string(),
              ": '__metadata__' cannot name a tensor");
    TFM_CHECK(names.insert(t.name).second, "[safetensors] ", path.string(), ": tensor '", t.name,
              "' given twice");
    order.push_back(&t);
  }
  std::stable_sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    int ra = rust_dtype_rank(a->dtype), rb = rust_dtype_rank(b->dtype);
    return ra != rb ? ra > rb : a->name < b->name;
  });

  // Compact JSON as serde writes it: __metadata__ first, then tensors in data order.
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ",";
      first = false;
      header += json_string(key, path) + ":" + json_string(value, path);
    }
    header += "}";
  }
  std::vector<size_t> sizes;
  uint64_t offset = 0;
  for (const TensorToWrite* t : order) {
    size_t n = byte_size(*t, path);
    TFM_CHECK(n == 0 || t->data != nullptr, "[safetensors] ", path.string(), ": tensor '",
              t->name, "' has no data");
    sizes.push_back(n);
    if (header.size() > 1) header += ",";
    header += json_string(t->name, path) + ":{\"dtype\":\"" +
              std::string(dtype_safetensors_name(t->dtype)) + "\",\"shape\":[";
    for (size_t i = 0; i < t->shape.size(); ++i) {
      if (i > 0) header += ',';
      header += std::to_string(t->shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + n) +
              "]}";
    offset += n;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // data region starts 8-byte aligned

  AtomicFileWriter out(path);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(uint64_t(header.size()) >> (8 * i));
  out.write(len, 8);
  out.write(header.data(), header.size());
  for (size_t i = 0; i < order.size(); ++i) out.write(order[i]->data, sizes[i]);
  out.commit();
}

namespace {

bool is_shard_name(const std::string& name) {
  static const std::regex pattern(R"(model-\d{5}-of-\d{5}\.safetensors)");
  return std::regex_match(name, pattern);
}

std::string shard_name(size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "model-%05zu-of-%05zu.safetensors", i, n);
  return buf;
}

}  // namespace

void save_safetensors_sharded(const fs::path& dir, const std::vector<TensorToWrite>& tensors,
                              size_t max_shard_bytes) {
  TFM_CHECK(max_shard_bytes > 0, "[safetensors] max_shard_bytes must be positive");
  fs::create_directories(dir);
  // Fill shards in the given order (huggingface_hub's split_state_dict_into_shards): a tensor that
  // does not fit starts a new shard; one larger than the limit gets a shard of its own.
  std::vector<std::vector<TensorToWrite>> shards;
  std::vector<TensorToWrite> current;
  size_t current_bytes = 0, total = 0;
  for (const TensorToWrite& t : tensors) {
    size_t n = byte_size(t, dir / kSafeWeightsName);
    total += n;
    if (n > max_shard_bytes) {
      shards.push_back({t});
      continue;
    }
    if (current_bytes + n > max_shard_bytes) {
      shards.push_back(std::move(current));
      current.clear();
      current_bytes = 0;
    }
    current.push_back(t);
    current_bytes += n;
  }
  if (!current.empty()) shards.push_back(std::move(current));

  // Remove what an earlier save left behind, so the folder holds exactly this checkpoint.
  std::vector<fs::path> stale;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name == kSafeWeightsName || name == kSafeWeightsIndexName || is_shard_name(name))
      stale.push_back(e.path());
  }

  const std::map<std::string, std::string> metadata{{"format", "pt"}};
  if (shards.size() <= 1) {
    for (const fs::path& p : stale)
      if (p.filename() != kSafeWeightsName) fs::remove(p);
    save_safetensors(dir / kSafeWeightsName, shards.empty() ? tensors : shards[0], metadata);
    return;
  }
  nlohmann::json weight_map = nlohmann::json::object();
  std::set<std::string> written;
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string name = shard_name(i + 1, shards.size());
    save_safetensors(dir / name, shards[i], metadata);
    written.insert(name);
    for (const TensorToWrite& t : shards[i]) weight_map[t.name] = name;
  }
  nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  write_json(dir / kSafeWeightsIndexName, index, 2);
  for (const fs::path& p : stale) {
    std::string name = p.filename().string();
    if (name != kSafeWeightsIndexName && !written.count(name)) fs::remove(p);
  }
}

}  // namespace transformers::io
