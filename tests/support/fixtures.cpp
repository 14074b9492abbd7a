#include "support/fixtures.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace transformers::testing {

std::optional<std::filesystem::path> shared_root() {
  if (const char* env = std::getenv("TRANSFORMERS_SHARED"); env && *env) {
    std::filesystem::path p(env);
    if (std::filesystem::is_directory(p)) return p;
    return std::nullopt;
  }
  std::filesystem::path p = std::filesystem::path(TFM_SOURCE_DIR).parent_path() / "shared";
  if (std::filesystem::is_directory(p)) return p;
  return std::nullopt;
}

std::filesystem::path shared_path(const std::string& relative) {
  auto root = shared_root();
  if (!root) throw std::runtime_error("shared root absent");
  return *root / relative;
}

std::filesystem::path temp_dir(const std::string& name) {
  // Per process: CTest runs the tests of one executable in parallel processes.
  std::filesystem::path p =
      std::filesystem::path(TFM_BINARY_DIR) / "test_tmp" / (name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace transformers::testing
