#pragma once
// Weight binding by Hugging Face parameter names (STYLE.md §7).
//
// A WeightStore holds where parameters come from: a checkpoint (safetensors, mmap'd) or an
// initializer (random weights for tests, benchmarks and training from scratch). Modules ask for
// their tensors through a WeightScope, whose path spells the HF key:
//   nn::WeightScope w = root / "model" / "layers" / "3" / "self_attn" / "q_proj";
//   Tensor weight = w.tensor("weight", {out, in});   // "model.layers.3.self_attn.q_proj.weight"
// Loading is strict: after construction, finish_strict() reports every key the model did not
// consume (except the model's declared ignorable keys), and a missing or mis-shaped key throws
// at once, naming the full key.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "transformers/core/random.h"
#include "transformers/core/tensor.h"

namespace transformers::io {
class Checkpoint;
}

namespace transformers::nn {

// How a tensor is created in init mode (HF's _init_weights conventions).
enum class Init { Normal, Zeros, Ones };

class WeightStore {
 public:
  // Weights from a model folder's safetensors files. `dtype` is the compute/storage dtype for
  // floating weights: a tensor already stored in that dtype stays in the mapping (zero copy).
  static std::shared_ptr<WeightStore> from_checkpoint(const std::filesystem::path& model_dir,
                                                      DType dtype = DType::Float32);
  // Random weights: Normal(0, std) for matrices and embeddings, zeros for biases, ones for norms.
  static std::shared_ptr<WeightStore> random(uint64_t seed, double std, DType dtype = DType::Float32);

  // The tensor `key` with `shape`, or throws "[load] key: ..." when missing or mis-shaped.
  Tensor get(const std::string& key, const Shape& shape, Init init);
  // The tensor, or nullopt when the checkpoint does not have it (init mode: creates it).
  std::optional<Tensor> maybe_get(const std::string& key, const Shape& shape, Init init);
  // True when the checkpoint holds `key` (init mode: false).
  bool contains(const std::string& key) const;
  // A key another module already bound (tied weights): the same tensor.
  Tensor bound(const std::string& key) const;

  // Throws listing the keys of the checkpoint nobody consumed, except those matching one of
  // `ignored` (a suffix match on dotted keys, e.g. "rotary_emb.inv_freq"). With `within` (a
  // prefix such as "bert"), only keys under it count: a base model loaded from a task head's
  // checkpoint leaves the head's weights unused, as Hugging Face does.
  void finish_strict(const std::vector<std::string>& ignored = {}, const std::string& within = "") const;

  // Every bound parameter, by key (in binding order), e.g. for save_pretrained and optimizers.
  const std::vector<std::pair<std::string, Tensor>>& parameters() const { return parameters_; }
  DType dtype() const { return dtype_; }
  bool is_random() const { return checkpoint_ == nullptr; }

 private:
  WeightStore() = default;
  Tensor load(const std::string& key, const Shape& shape);
  Tensor create(const Shape& shape, Init init);
  void bind(const std::string& key, const Tensor& t);

  std::shared_ptr<io::Checkpoint> checkpoint_;
  DType dtype_ = DType::Float32;
  Generator generator_;
  double std_ = 0.02;
  std::set<std::string> consumed_;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::map<std::string, size_t> index_;
};

class WeightScope {
 public:
  WeightScope(std::shared_ptr<WeightStore> store, std::string prefix = "")
      : store_(std::move(store)), prefix_(std::move(prefix)) {}

  // Appends a path segment: (w / "layers" / "0").prefix() == "layers.0".
  WeightScope operator/(const std::string& name) const;
  WeightScope operator/(int64_t index) const { return *this / std::to_string(index); }

  Tensor tensor(const std::string& name, const Shape& shape, Init init = Init::Normal) const;
  std::optional<Tensor> maybe_tensor(const std::string& name, const Shape& shape,
                                     Init init = Init::Zeros) const;
  bool contains(const std::string& name) const;
  std::string key(const std::string& name) const;
  const std::string& prefix() const { return prefix_; }
  const std::shared_ptr<WeightStore>& store() const { return store_; }

 private:
  std::shared_ptr<WeightStore> store_;
  std::string prefix_;
};

}  // namespace transformers::nn
