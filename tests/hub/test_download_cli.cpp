// `transformers download` end to end against the loopback fake Hub: stdout is the snapshot folder,
// errors are one line on stderr with exit code 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "hub/fake_hub.h"
#include "support/fixtures.h"

namespace transformers::hub {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct CommandResult {
  int code;
  std::string out;
};

// Runs a shell command line, capturing stdout (stderr is folded in when asked).
CommandResult run(const std::string& command) {
  CommandResult r{-1, ""};
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(DownloadCommand, PrintsTheSnapshotFolderAndFailsClearly) {
#ifndef TFM_CLI_PATH
  GTEST_SKIP() << "the transformers command is not built";
#else
  // Only tests/cli depends on the binary being built; here it is used when present (make test
  // builds everything first).
  if (!fs::exists(TFM_CLI_PATH)) GTEST_SKIP() << TFM_CLI_PATH << " is not built";
  testing::FakeHub hub;
  testing::FakeRepo repo;
  repo.commit = "3333333333333333333333333333333333333333";
  // printf '{"model_type": "llama"}\n' | git hash-object --stdin
  repo.files["config.json"] = {"{\"model_type\": \"llama\"}\n",
                               "9eddb62b076f586b2186445e7872e5a05f0dfe06", false};
  // printf x | git hash-object --stdin
  repo.files["notes.md"] = {"x", "c1b0730e0133447badcfd47fd144e254807b06e1", false};
  hub.add_repo("org/tiny", repo);
  fs::path dir = testing::temp_dir("hub_download_cli");
  std::string env = "env -u HF_TOKEN -u HF_HUB_OFFLINE HOME=" + dir.string() +
                    " HF_ENDPOINT=" + hub.endpoint() + " HF_HUB_CACHE=" + (dir / "cache").string() +
                    " ";
  CommandResult ok = run(env + TFM_CLI_PATH + " download --include '*.json' org/tiny 2>/dev/null");
  fs::path snap = dir / "cache/models--org--tiny/snapshots" / repo.commit;
  EXPECT_EQ(ok.code, 0);
  EXPECT_EQ(ok.out, snap.string() + "\n");
  EXPECT_TRUE(fs::exists(snap / "config.json"));
  EXPECT_FALSE(fs::exists(snap / "notes.md"));

  CommandResult missing = run(env + TFM_CLI_PATH + " download org/absent 2>&1");
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.out, HasSubstr("error: [hub] repository 'org/absent' not found"));
  CommandResult revision = run(env + TFM_CLI_PATH + " download org/tiny --revision nope 2>&1");
  EXPECT_EQ(revision.code, 1);
  EXPECT_THAT(revision.out, HasSubstr("revision 'nope' not found"));
  CommandResult offline = run(env + "HF_HUB_OFFLINE=1 " + TFM_CLI_PATH + " download org/other 2>&1");
  EXPECT_EQ(offline.code, 1);
  EXPECT_THAT(offline.out, HasSubstr("offline mode is on"));
#endif
}

}  // namespace
}  // namespace transformers::hub
