#pragma once
// Locating ../shared (fixtures and reference models) for tests.
// Root = $TRANSFORMERS_SHARED, else ../shared beside the repository. An absent root skips the
// test with a message (GTEST_SKIP); a missing case inside a present root is a failure.
#include <filesystem>
#include <optional>
#include <string>

namespace transformers::testing {

// The shared root, or nullopt when it is absent.
std::optional<std::filesystem::path> shared_root();

// Path of a fixture below the shared root, e.g. fixture_path("fixtures/models/llama").
// Precondition: shared_root() has a value.
std::filesystem::path shared_path(const std::string& relative);

// A fresh empty directory under the build tree for a test's own files (unique to this process).
std::filesystem::path temp_dir(const std::string& name);

// Reads a whole file into a string (throws std::runtime_error when it cannot).
std::string read_file(const std::filesystem::path& path);

}  // namespace transformers::testing

// Skips the current test when ../shared is absent.
#define TFM_SKIP_WITHOUT_SHARED()                 \
  if (!::transformers::testing::shared_root())    \
  GTEST_SKIP() << "shared fixtures not found (set TRANSFORMERS_SHARED or place ../shared)"
