#pragma once
// A model folder's weights across one or more safetensors files.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/io/safetensors.h"

namespace transformers::io {

inline constexpr const char* kSafeWeightsName = "model.safetensors";
inline constexpr const char* kSafeWeightsIndexName = "model.safetensors.index.json";

class Checkpoint {  // cheap to copy
 public:
  // model.safetensors when present; else model.safetensors.index.json and the shards it names
  // (each mapped once); else every *.safetensors in the folder. A tensor name found in two files,
  // or an index entry whose shard lacks it, is an error.
  static Checkpoint open(const std::filesystem::path& model_dir);

  // nullptr when absent.
  const TensorView* find(std::string_view name) const;
  // Every tensor name, sorted.
  std::vector<std::string> names() const;
  // Owner of the mapping that holds `name` (nullptr when absent).
  std::shared_ptr<const void> keep_alive(std::string_view name) const;
  // The files, in the order they were opened.
  const std::vector<SafetensorsFile>& files() const { return files_; }

 private:
  struct Location {
    size_t file;
    const TensorView* view;
  };
  void add_file(SafetensorsFile file);

  std::vector<SafetensorsFile> files_;
  std::map<std::string, Location, std::less<>> tensors_;
};

}  // namespace transformers::io
