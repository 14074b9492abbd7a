// transformers download: fetch a Hub repo (or some of its files) into the Hugging Face cache and
// print the snapshot folder.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "transformers/cli/commands.h"
#include "transformers/hub/hub.h"

namespace transformers::cli {

int cmd_download(int argc, char** argv) {
  CLI::App app{
      "Download a Hugging Face Hub repo into the Hugging Face cache (the layout huggingface_hub "
      "uses: HF_HUB_CACHE / HF_HOME) and print its snapshot folder. Honours HF_ENDPOINT, HF_TOKEN "
      "and HF_HUB_OFFLINE=1; interrupted downloads resume.",
      "transformers download"};
  std::string repo_id;
  hub::ResolveOptions options;
  std::string cache;
  bool quiet = false;
  app.add_option("ID", repo_id, "repo id, e.g. org/name")->required();
  app.add_option("--revision", options.revision, "branch, tag or commit (default: main)");
  app.add_option("--include", options.allow_patterns,
                 "only files matching this glob (repeatable), e.g. --include '*.json'")
      ->allow_extra_args(false);  // one glob per --include, so ID may come after it
  app.add_option("--exclude", options.ignore_patterns, "skip files matching this glob (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--cache-dir", cache, "cache folder (default: HF_HUB_CACHE, HF_HOME/hub ...)");
  app.add_flag("--force", options.force_download, "download again even when cached");
  app.add_flag("--quiet", quiet, "no progress output");
  CLI11_PARSE(app, argc, argv);
  if (!cache.empty()) options.cache_dir = cache;
  options.progress = !quiet;
  std::printf("%s\n", hub::snapshot_download(repo_id, options).c_str());
  return 0;
}

}  // namespace transformers::cli
