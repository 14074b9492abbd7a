#include "transformers/nn/weights.h"

#include <algorithm>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/io/checkpoint.h"

namespace transformers::nn {

std::shared_ptr<WeightStore> WeightStore::from_checkpoint(const std::filesystem::path& model_dir,
                                                          DType dtype) {
  std::shared_ptr<WeightStore> s(new WeightStore());
  s->checkpoint_ = std::make_shared<io::Checkpoint>(io::Checkpoint::open(model_dir));
  s->dtype_ = dtype;
  return s;
}

std::shared_ptr<WeightStore> WeightStore::random(uint64_t seed, double std, DType dtype) {
  std::shared_ptr<WeightStore> s(new WeightStore());
  s->generator_.manual_seed(seed);
  s->std_ = std;
  s->dtype_ = dtype;
  return s;
}

bool WeightStore::contains(const std::string& key) const {
  return checkpoint_ && checkpoint_->find(key) != nullptr;
}

Tensor WeightStore::load(const std::string& key, const Shape& shape) {
  const io::TensorView* view = checkpoint_->find(key);
  TFM_CHECK(view != nullptr, "[load] ", key, ": missing from the checkpoint");
  TFM_CHECK(view->shape == shape, "[load] ", key, ": expected ", shape_str(shape), ", file has ",
            shape_str(view->shape));
  Tensor t = Tensor::from_blob(view->data, view->shape, view->dtype, checkpoint_->keep_alive(key));
  // Floating weights take the model dtype (no copy when they already have it); integer buffers
  // keep theirs. Unaligned data (not possible in files written by safetensors) gets copied.
  if (is_floating(t.dtype()) && t.dtype() != dtype_) return t.to(dtype_);
  if (reinterpret_cast<uintptr_t>(view->data) % dtype_size(view->dtype) != 0) return t.clone();
  return t;
}

Tensor WeightStore::create(const Shape& shape, Init init) {
  switch (init) {
    case Init::Zeros: return Tensor::zeros(shape, dtype_);
    case Init::Ones: return Tensor::ones(shape, dtype_);
    case Init::Normal: {
      // Drawn straight into the model dtype: no f32 staging copy of e.g. a 151936-row embedding.
      Tensor t = Tensor::empty(shape, dtype_);
      ops::normal_(t, 0.0, std_, generator_);
      return t;
    }
  }
  TFM_UNREACHABLE();
}

void WeightStore::bind(const std::string& key, const Tensor& t) {
  consumed_.insert(key);
  index_[key] = parameters_.size();
  parameters_.emplace_back(key, t);
}

Tensor WeightStore::get(const std::string& key, const Shape& shape, Init init) {
  TFM_CHECK(!index_.count(key), "[load] ", key, ": bound twice");
  Tensor t = checkpoint_ ? load(key, shape) : create(shape, init);
  bind(key, t);
  return t;
}

std::optional<Tensor> WeightStore::maybe_get(const std::string& key, const Shape& shape, Init init) {
  if (checkpoint_ && !checkpoint_->find(key)) return std::nullopt;
  return get(key, shape, init);
}

Tensor WeightStore::bound(const std::string& key) const {
  auto it = index_.find(key);
  TFM_CHECK(it != index_.end(), "[load] ", key, ": not bound yet");
  return parameters_[it->second].second;
}

void WeightStore::finish_strict(const std::vector<std::string>& ignored, const std::string& within) const {
  if (!checkpoint_) return;
  std::vector<std::string> unexpected;
  for (const std::string& name : checkpoint_->names()) {
    if (consumed_.count(name)) continue;
    if (!within.empty() && !(name.size() > within.size() && name.starts_with(within) && name[within.size()] == '.'))
      continue;
    bool skip = std::any_of(ignored.begin(), ignored.end(), [&](const std::string& suffix) {
      return name == suffix || (name.size() > suffix.size() &&
                                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                                name[name.size() - suffix.size() - 1] == '.');
    });
    if (!skip) unexpected.push_back(name);
  }
  if (unexpected.empty()) return;
  std::string list;
  for (size_t i = 0; i < unexpected.size() && i < 10; ++i) list += (i ? ", " : "") + unexpected[i];
  if (unexpected.size() > 10) list += ", ... (" + std::to_string(unexpected.size()) + " in all)";
  throw Error("[load] unexpected tensors in the checkpoint: " + list);
}

WeightScope WeightScope::operator/(const std::string& name) const {
  return WeightScope(store_, prefix_.empty() ? name : prefix_ + "." + name);
}

std::string WeightScope::key(const std::string& name) const {
  return prefix_.empty() ? name : prefix_ + "." + name;
}

Tensor WeightScope::tensor(const std::string& name, const Shape& shape, Init init) const {
  return store_->get(key(name), shape, init);
}

std::optional<Tensor> WeightScope::maybe_tensor(const std::string& name, const Shape& shape,
                                                Init init) const {
  return store_->maybe_get(key(name), shape, init);
}

bool WeightScope::contains(const std::string& name) const { return store_->contains(key(name)); }

}  // namespace transformers::nn
