#pragma once
// Runs the `transformers` binary the CLI tests are built against (TFM_CLI_PATH) through the shell.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "support/fixtures.h"

namespace transformers::testing {

struct CliResult {
  int code = -1;    // exit status; -1 when the command did not exit normally
  std::string out;  // stdout, with stderr unless separate_stderr
  std::string err;  // stderr when separate_stderr
};

struct CliOptions {
  std::optional<std::string> input;  // fed to stdin
  bool separate_stderr = false;
};

// `transformers ARGS` (ARGS as a shell would split them).
inline CliResult run_cli(const std::string& args, const CliOptions& options = {}) {
  const std::filesystem::path dir = temp_dir("cli_runner");
  std::string cmd = std::string(TFM_CLI_PATH) + " " + args;
  if (options.input) {
    std::ofstream(dir / "stdin.txt", std::ios::binary) << *options.input;
    cmd += " < " + (dir / "stdin.txt").string();
  }
  cmd += options.separate_stderr ? " 2>" + (dir / "stderr.txt").string() : " 2>&1";
  CliResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (options.separate_stderr) {
    std::ifstream err(dir / "stderr.txt", std::ios::binary);
    r.err.assign(std::istreambuf_iterator<char>(err), {});
  }
  return r;
}

}  // namespace transformers::testing
