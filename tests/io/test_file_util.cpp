// io::read_text_file: whole files, empty files, files that report no size, missing files.
#include <gtest/gtest.h>

#include <fstream>

#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/io/file_util.h"

namespace transformers::io {
namespace {

TEST(ReadTextFileTest, ReadsEveryKindOfFile) {
  const auto dir = transformers::testing::temp_dir("read_text_file");
  std::string content(100000, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = char('a' + i % 26);
  content[5] = '\0';  // binary-safe
  std::ofstream(dir / "big.txt", std::ios::binary) << content;
  EXPECT_EQ(read_text_file(dir / "big.txt"), content);
  std::ofstream(dir / "empty.txt").close();
  EXPECT_EQ(read_text_file(dir / "empty.txt"), "");
  // /proc files are regular files whose size reads as 0: they must still be read in full.
  const std::string status = read_text_file("/proc/self/status");
  EXPECT_NE(status.find("Name:"), std::string::npos);
  EXPECT_THROW(read_text_file(dir / "missing.txt"), Error);
}

}  // namespace
}  // namespace transformers::io
