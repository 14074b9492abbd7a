#pragma once
// Reading a tensor from a fixture's reference.safetensors, for the model parity tests.
#include <stdexcept>
#include <string>

#include "transformers/core/tensor.h"
#include "transformers/io/safetensors.h"

namespace transformers::testing {

// A copy of the named tensor, so it outlives `file`; throws when the fixture lacks it.
inline Tensor load_reference(const io::SafetensorsFile& file, const std::string& name) {
  const io::TensorView* v = file.find(name);
  if (!v) throw std::runtime_error("reference tensor missing: " + name);
  return Tensor::from_blob(v->data, v->shape, v->dtype, file.keep_alive()).clone();
}

}  // namespace transformers::testing
