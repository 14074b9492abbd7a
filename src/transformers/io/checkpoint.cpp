#include "transformers/io/checkpoint.h"

#include <algorithm>

#include "transformers/core/error.h"
#include "transformers/io/json.h"

namespace transformers::io {

namespace fs = std::filesystem;

void Checkpoint::add_file(SafetensorsFile file) {
  size_t index = files_.size();
  for (const TensorView& view : file.tensors()) {
    auto [it, inserted] = tensors_.emplace(view.name, Location{index, &view});
    TFM_CHECK(inserted, "[checkpoint] tensor '", view.name, "' is in both ",
              files_[it->second.file].path().string(), " and ", file.path().string());
  }
  files_.push_back(std::move(file));
}

namespace {

// Shard names come from a JSON file: keep them to plain names inside the folder.
fs::path shard_path(const fs::path& dir, const std::string& shard, const fs::path& index_path,
                    const std::string& tensor) {
  fs::path rel(shard);
  bool plain = !shard.empty() && rel.is_relative() &&
               std::none_of(rel.begin(), rel.end(), [](const fs::path& part) {
                 return part == ".." || part == ".";
               });
  TFM_CHECK(plain, "[checkpoint] ", index_path.string(), ": tensor '", tensor, "' names shard '",
            shard, "', which is not a file name inside the model folder");
  return dir / rel;
}

}  // namespace

Checkpoint Checkpoint::open(const fs::path& model_dir) {
  TFM_CHECK(fs::is_directory(model_dir), "[checkpoint] ", model_dir.string(),
            " is not a directory");
  Checkpoint ckpt;
  const fs::path single = model_dir / kSafeWeightsName;
  const fs::path index_path = model_dir / kSafeWeightsIndexName;
  if (fs::exists(single)) {
    ckpt.add_file(SafetensorsFile::open(single));
    return ckpt;
  }
  if (fs::exists(index_path)) {
    nlohmann::json index = read_json(index_path);
    TFM_CHECK(index.is_object() && index.contains("weight_map") && index["weight_map"].is_object(),
              "[checkpoint] ", index_path.string(), ": no \"weight_map\" object");
    // Each shard is opened once, in order of first mention.
    std::map<std::string, size_t> shard_index;
    for (auto& [tensor, shard] : index["weight_map"].items()) {
      TFM_CHECK(shard.is_string(), "[checkpoint] ", index_path.string(), ": weight_map entry '",
                tensor, "' must be a file name, got ", shard.dump());
      const std::string& name = shard.get_ref<const std::string&>();
      if (!shard_index.count(name)) {
        fs::path path = shard_path(model_dir, name, index_path, tensor);
        TFM_CHECK(fs::exists(path), "[checkpoint] ", index_path.string(), ": shard ", name,
                  " (holding '", tensor, "') is missing");
        shard_index[name] = ckpt.files_.size();
        ckpt.add_file(SafetensorsFile::open(path));
      }
    }
    for (auto& [tensor, shard] : index["weight_map"].items()) {
      const SafetensorsFile& file = ckpt.files_[shard_index.at(shard.get<std::string>())];
      TFM_CHECK(file.find(tensor) != nullptr, "[checkpoint] ", index_path.string(), ": tensor '",
                tensor, "' is listed in shard ", shard.get<std::string>(), " but not stored there");
    }
    return ckpt;
  }
  std::vector<fs::path> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(model_dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".safetensors")
      found.push_back(entry.path());
  }
  TFM_CHECK(!found.empty(), "[checkpoint] no safetensors weights in ", model_dir.string(),
            fs::exists(model_dir / "pytorch_model.bin")
                ? " (pytorch_model.bin is not supported: convert it to safetensors)"
                : "");
  std::sort(found.begin(), found.end());
  for (const fs::path& path : found) ckpt.add_file(SafetensorsFile::open(path));
  return ckpt;
}

const TensorView* Checkpoint::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : it->second.view;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, loc] : tensors_) out.push_back(name);
  return out;
}

std::shared_ptr<const void> Checkpoint::keep_alive(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : files_[it->second.file].keep_alive();
}

}  // namespace transformers::io
