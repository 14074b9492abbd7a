// libFuzzer target for the safetensors header parser: any byte string must either parse into views
// that lie inside the buffer and agree with their dtype and shape, or throw transformers::Error.
// Build: CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DTFM_BUILD_FUZZ=ON ...
// Run:   ./build-fuzz/fuzz_safetensors_header -max_total_time=60 [corpus_dir]
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "transformers/core/error.h"
#include "transformers/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    io::SafetensorsFile file = io::SafetensorsFile::parse(bytes, nullptr, "fuzz");
    const std::byte* end = bytes.data() + size;
    size_t covered = 0;
    for (const io::TensorView& t : file.tensors()) {
      uint64_t numel = 1;
      for (int64_t d : t.shape) {
        if (d < 0) std::abort();
        numel *= uint64_t(d);
      }
      if (numel * dtype_size(t.dtype) != t.nbytes) std::abort();
      if (t.data < bytes.data() || t.data > end || size_t(end - t.data) < t.nbytes) std::abort();
      if (file.find(t.name) != &t) std::abort();
      covered += t.nbytes;
    }
    if (!file.tensors().empty() && file.tensors().back().data + file.tensors().back().nbytes != end)
      std::abort();
    if (covered > size) std::abort();
  } catch (const Error&) {
    // Rejected input: the expected outcome for almost every mutation.
  }
  return 0;
}
