#pragma once
// Model ids -> local files, through the standard Hugging Face cache, exactly as huggingface_hub
// lays it out, so a cache filled by Python is used as is and ours is usable by Python:
//
//   <cache>/models--<org>--<name>/
//     blobs/<etag>                         file contents, named by ETag (sha256 for LFS files,
//                                          git blob sha1 for small ones); <etag>.incomplete while
//                                          downloading (resumed with a Range request)
//     refs/<revision>                      the commit a branch or tag pointed to (no newline)
//     snapshots/<commit>/<path>            relative symlinks to ../../blobs/<etag>
//   <cache>/.locks/models--<org>--<name>/<etag>.lock   flock, shared with Python's filelock
//
// Environment, as huggingface_hub reads it: HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME (cache folder),
// HF_ENDPOINT (server, default https://huggingface.co), HF_TOKEN (else the file HF_TOKEN_PATH or
// $HF_HOME/token), HF_HUB_OFFLINE=1 (no network), HF_HUB_DISABLE_PROGRESS_BARS=1.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "transformers/hub/errors.h"

namespace transformers::hub {

// HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::filesystem::path cache_dir();

// Progress of one file: name, bytes done (resumed bytes included), total (0 when unknown).
using ProgressCallback =
    std::function<void(const std::string& file, uint64_t done, uint64_t total)>;

struct ResolveOptions {
  std::string revision = "main";
  std::vector<std::string> allow_patterns;   // fnmatch globs; empty: every file (snapshot_download)
  std::vector<std::string> ignore_patterns;  // fnmatch globs
  bool local_files_only = false;             // also forced by HF_HUB_OFFLINE=1
  bool force_download = false;
  std::optional<std::filesystem::path> cache_dir;  // default: cache_dir()
  std::optional<std::string> endpoint;             // default: HF_ENDPOINT or https://huggingface.co
  std::optional<std::string> token;                // default: HF_TOKEN or the token file
  // Progress on stderr: a bar redrawn in place when stderr is a terminal, one line per finished
  // file otherwise. Ignored when `on_progress` is set.
  bool progress = true;
  ProgressCallback on_progress;
  long connect_timeout_s = 10;
  long request_timeout_s = 30;  // metadata requests (HEAD, API)
  long stall_timeout_s = 30;    // downloads: give up after this long without data
  int max_retries = 3;          // an interrupted download is resumed this many times
};

// True for "name" or "org/name" following the Hub's rules (letters, digits, '-', '_', '.';
// no "--" or ".."; not starting or ending with '-' or '.'; at most 96 characters).
bool is_valid_repo_id(const std::string& repo_id);

// "models--org--name": the repo's folder in the cache.
std::string repo_folder_name(const std::string& repo_id);

// MODEL argument of every verb: an existing folder -> itself; "org/name" (or "name") -> the
// snapshot folder in the cache (refs/<revision> -> snapshots/<commit>/), downloading what is missing
// unless offline. Without allow_patterns, resolve_model fetches what models need: *.json,
// *.safetensors, *.model, *.txt, *.jinja, *.tiktoken (not *.bin, *.h5, *.msgpack ...).
// Throws HubError: InvalidModelId; NotInCache when offline; RepositoryNotFound / RevisionNotFound /
// GatedRepo; Network.
std::filesystem::path resolve_model(const std::string& model, const ResolveOptions& options = {});

// All files of the repo at `options.revision` (or those matching the patterns) into the cache;
// returns the snapshot folder. Online: lists the repo through /api/models/<id>/revision/<rev> and
// downloads what is missing. When the listing fails for lack of network or a server error, an
// existing cached snapshot of that revision is returned instead (as huggingface_hub does).
std::filesystem::path snapshot_download(const std::string& repo_id, const ResolveOptions& options);

// One file of a repo (hf_hub_download): returns its path inside the snapshot folder.
std::filesystem::path hf_hub_download(const std::string& repo_id, const std::string& filename,
                                      const ResolveOptions& options = {});

}  // namespace transformers::hub
