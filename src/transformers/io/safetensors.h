#pragma once
// safetensors files: zero-copy reading through mmap, validated in full on open, and writing.
//
// Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N,
// N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}}, then the data region, which the tensors must cover exactly.
//
// Note [Alignment]: the data pointer of a view is wherever the file puts it. Files written by the
// Python/Rust writer and by save_safetensors() start the data region 8-byte aligned and order tensors
// so each is aligned to its element size, but a hand-made file may not; callers that need aligned
// access must check (or copy).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/core/dtype.h"

namespace transformers::io {

// One tensor inside a mapped file: zero-copy view (little-endian data exactly as stored).
struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const std::byte* data;  // points into the mapping
  size_t nbytes;

  int64_t numel() const;
};

// Headers larger than this are rejected before parsing (the Rust reader's limit, 100 MB).
inline constexpr size_t kMaxSafetensorsHeaderBytes = 100'000'000;

class SafetensorsFile {  // cheap to copy: shares one immutable parsed file
 public:
  // mmap + full validation; throws Error naming the file (and the tensor, where one is at fault).
  static SafetensorsFile open(const std::filesystem::path& path);
  // Parses bytes already in memory (tests, fuzzing). `owner` keeps `bytes` alive; `label` names the
  // source in error messages.
  static SafetensorsFile parse(std::span<const std::byte> bytes, std::shared_ptr<const void> owner,
                               const std::string& label);

  // In file offset order.
  const std::vector<TensorView>& tensors() const;
  // nullptr when absent.
  const TensorView* find(std::string_view name) const;
  // The header's "__metadata__" (empty when absent).
  const std::map<std::string, std::string>& metadata() const;
  // Owner of the mapping: hold it as long as any TensorView::data is used.
  std::shared_ptr<const void> keep_alive() const;
  const std::filesystem::path& path() const;

  struct Impl;

 private:
  explicit SafetensorsFile(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;  // dtype_size(dtype) * numel bytes, little-endian
};

// Writes a safetensors file as the Python writer does: tensors ordered by element size (largest
// first) then name, data 8-byte aligned, header padded with spaces. Atomic: a temporary file in the
// same folder is renamed over `path` only once complete.
void save_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Sharded save_pretrained: tensors in the given order fill shards of at most max_shard_bytes (a
// tensor larger than that gets a shard of its own), written as model-0000i-of-0000N.safetensors plus
// model.safetensors.index.json; a single shard is written as model.safetensors with no index.
// Stale model*.safetensors files and index from an earlier save in `dir` are removed.
void save_safetensors_sharded(const std::filesystem::path& dir,
                              const std::vector<TensorToWrite>& tensors, size_t max_shard_bytes);

}  // namespace transformers::io
