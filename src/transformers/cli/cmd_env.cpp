// transformers env: what this build is and what it will use.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

#include "transformers/cli/commands.h"
#include "transformers/core/runtime.h"

namespace transformers::cli {

namespace {
std::string hub_cache_dir() {
  if (const char* c = std::getenv("HF_HUB_CACHE"); c && *c) return c;
  if (const char* h = std::getenv("HF_HOME"); h && *h) return std::string(h) + "/hub";
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/huggingface/hub";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/huggingface/hub";
}
}  // namespace

int cmd_env(int argc, char** argv) {
  CLI::App app{"Print version, build flags, SIMD level, BLAS, threads and cache directory.",
               "transformers env"};
  CLI11_PARSE(app, argc, argv);
  std::printf("transformers.cpp version: %s\n", TFM_VERSION);
  std::printf("build type:               %s\n", TFM_BUILD_TYPE);
  std::printf("compiler:                 %s\n", TFM_COMPILER);
  std::printf("SIMD level:               %s\n", runtime::simd_level_name());
  std::printf("BLAS:                     %s\n", runtime::blas_info().c_str());
  std::printf("bf16 dot products:        %s\n", runtime::has_avx512_bf16() ? "yes (AVX512-BF16)" : "no");
  std::printf("threads:                  %d\n", runtime::num_threads());
  std::printf("Hugging Face cache:       %s\n", hub_cache_dir().c_str());
  const char* offline = std::getenv("HF_HUB_OFFLINE");
  std::printf("offline mode:             %s\n", offline && std::string(offline) == "1" ? "yes" : "no");
  return 0;
}

}  // namespace transformers::cli
