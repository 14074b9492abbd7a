// The Hugging Face cache and download protocol, as huggingface_hub implements it
// (file_download.py: hf_hub_download; _snapshot_download.py: snapshot_download).
#include "transformers/hub/hub.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>

#include <nlohmann/json.hpp>

#include "transformers/hub/http.h"
#include "transformers/hub/progress.h"
#include "transformers/io/file_util.h"

namespace transformers::hub {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// huggingface_hub's boolean environment values.
bool env_true(const char* name) {
  std::string v = env(name);
  for (char& c : v) c = char(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

fs::path home_dir() { return fs::path(env("HOME")); }

// "~/x" -> "$HOME/x", as Python's os.path.expanduser does for these variables.
fs::path expand_user(const std::string& p) {
  if (p == "~") return home_dir();
  if (p.rfind("~/", 0) == 0) return home_dir() / p.substr(2);
  return p;
}

fs::path hf_home() {
  if (!env("HF_HOME").empty()) return expand_user(env("HF_HOME"));
  if (!env("XDG_CACHE_HOME").empty()) return fs::path(env("XDG_CACHE_HOME")) / "huggingface";
  return home_dir() / ".cache" / "huggingface";
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool is_commit_hash(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// ETags and commits become file names: accept only plain names.
bool is_safe_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// A file path inside a repo: relative, no "." or ".." parts, no empty parts.
bool is_safe_repo_path(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.back() == '/' || p.find('\\') != std::string::npos)
    return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// ETag header value -> blob name: drop a weak marker and the quotes.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

struct Context {
  std::string repo_id;
  std::string endpoint;
  std::string token;
  fs::path cache;
  fs::path storage;  // <cache>/models--org--name
  bool offline;
  http::Timeouts timeouts;

  http::Headers auth() const {
    http::Headers h;
    if (!token.empty()) h.push_back("Authorization: Bearer " + token);
    return h;
  }
};

Context make_context(const std::string& repo_id, const ResolveOptions& o) {
  if (!is_valid_repo_id(repo_id))
    throw HubError(HubErrorKind::InvalidModelId,
                   "[hub] '" + repo_id + "' is not a valid Hugging Face repo id (org/name)");
  // The revision names a file under refs/: keep it inside that folder.
  if (!is_safe_repo_path(o.revision))
    throw HubError(HubErrorKind::RevisionNotFound,
                   "[hub] '" + o.revision + "' is not a valid revision (branch, tag or commit)");
  Context c;
  c.repo_id = repo_id;
  c.endpoint = o.endpoint ? *o.endpoint : env("HF_ENDPOINT");
  if (c.endpoint.empty()) c.endpoint = "https://huggingface.co";
  while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();
  if (o.token) {
    c.token = *o.token;
  } else if (!env("HF_TOKEN").empty()) {
    c.token = trim(env("HF_TOKEN"));
  } else {
    fs::path token_file = env("HF_TOKEN_PATH").empty() ? hf_home() / "token" : fs::path(env("HF_TOKEN_PATH"));
    std::error_code ec;
    if (fs::is_regular_file(token_file, ec)) c.token = trim(io::read_text_file(token_file));
  }
  c.cache = o.cache_dir ? *o.cache_dir : cache_dir();
  c.storage = c.cache / repo_folder_name(repo_id);
  c.offline = o.local_files_only || env_true("HF_HUB_OFFLINE");
  c.timeouts = {o.connect_timeout_s, o.request_timeout_s, o.stall_timeout_s};
  return c;
}

std::string read_ref(const Context& c, const std::string& revision) {
  if (is_commit_hash(revision)) return revision;
  fs::path ref = c.storage / "refs" / revision;
  std::error_code ec;
  if (!fs::is_regular_file(ref, ec)) return "";
  return trim(io::read_text_file(ref));
}

void write_ref(const Context& c, const std::string& revision, const std::string& commit) {
  if (revision == commit) return;
  fs::path ref = c.storage / "refs" / revision;
  fs::create_directories(ref.parent_path());
  io::write_file_atomic(ref, commit);  // no newline, as huggingface_hub writes it
}

// The error a failed Hub answer stands for, distinguished as huggingface_hub does (X-Error-Code).
HubError http_error(const http::Response& r, const Context& c, const std::string& revision,
                    const std::string& file, const std::string& url, HubErrorKind fallback) {
  std::string code = r.header("x-error-code");
  std::string message = r.header("x-error-message");
  if (message.empty()) message = r.body.substr(0, 200);
  std::string suffix = message.empty() ? "" : " (server: " + trim(message) + ")";
  if (code == "RepoNotFound" || r.status == 401) {
    return HubError(HubErrorKind::RepositoryNotFound,
                    "[hub] repository '" + c.repo_id + "' not found (HTTP " +
                        std::to_string(r.status) + "): check the id; if it is private or gated, " +
                        (c.token.empty() ? "set HF_TOKEN" : "check that HF_TOKEN grants access") +
                        suffix);
  }
  if (code == "GatedRepo")
    return HubError(HubErrorKind::GatedRepo, "[hub] repository '" + c.repo_id +
                                                 "' is gated: request access on the Hub" + suffix);
  if (code == "RevisionNotFound")
    return HubError(HubErrorKind::RevisionNotFound, "[hub] revision '" + revision +
                                                        "' not found in '" + c.repo_id + "'" + suffix);
  if (code == "EntryNotFound" || (r.status == 404 && fallback == HubErrorKind::EntryNotFound))
    return HubError(HubErrorKind::EntryNotFound, "[hub] file '" + file + "' not found in '" +
                                                     c.repo_id + "' at revision '" + revision +
                                                     "'" + suffix);
  return HubError(r.status == 404 ? fallback : HubErrorKind::Http,
                  "[hub] HTTP " + std::to_string(r.status) + " for " + url + suffix);
}

// flock on <cache>/.locks/<repo folder>/<etag>.lock: the lock huggingface_hub's FileLock takes.
class BlobLock {
 public:
  explicit BlobLock(const fs::path& path) {
    fs::create_directories(path.parent_path());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~BlobLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  int fd_ = -1;
};

// snapshots/<commit>/<file> -> ../../blobs/<etag> (one more ../ per folder level of <file>).
void link_snapshot(const fs::path& pointer, const std::string& file, const std::string& etag) {
  std::string target = "../../";
  for (char ch : file)
    if (ch == '/') target += "../";
  target += "blobs/" + etag;
  fs::create_directories(pointer.parent_path());
  std::error_code ec;
  fs::remove(pointer, ec);
  fs::create_symlink(target, pointer);
}

struct FileMetadata {
  std::string commit, etag, location;
  uint64_t size = 0;
  bool size_known = false;
};

// HEAD <endpoint>/<repo>/resolve/<revision>/<file>, following only same-site (relative) redirects,
// so a redirect to the CDN is seen and its X-Linked-* headers read.
FileMetadata get_file_metadata(const Context& c, const std::string& revision,
                               const std::string& file) {
  std::string url = c.endpoint + "/" + c.repo_id + "/resolve/" + http::quote(revision, "") + "/" +
                    http::quote(file, "/");
  http::Headers headers = c.auth();
  headers.push_back("Accept-Encoding: identity");  // the size we see is the size on disk
  http::Response r;
  for (int hop = 0;; ++hop) {
    r = http::request("HEAD", url, headers, c.timeouts);
    std::string location = r.header("location");
    bool relative = r.status >= 300 && r.status < 400 && !location.empty() && location[0] == '/';
    if (!relative || hop >= 5) break;
    // A renamed repo answers with a redirect on the same site: resolve it and ask again.
    size_t scheme = c.endpoint.find("://");
    size_t host_end = c.endpoint.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    url = c.endpoint.substr(0, host_end) + location;
  }
  if (r.status >= 400) throw http_error(r, c, revision, file, url, HubErrorKind::EntryNotFound);
  FileMetadata m;
  m.commit = r.header("x-repo-commit");
  m.etag = normalize_etag(!r.header("x-linked-etag").empty() ? r.header("x-linked-etag")
                                                              : r.header("etag"));
  std::string size = !r.header("x-linked-size").empty() ? r.header("x-linked-size")
                                                         : r.header("content-length");
  if (!size.empty() && std::all_of(size.begin(), size.end(), ::isdigit)) {
    m.size = std::stoull(size);
    m.size_known = true;
  }
  m.location = (r.status >= 300 && r.status < 400 && !r.header("location").empty())
                   ? r.header("location")
                   : url;
  if (!is_commit_hash(m.commit))
    throw HubError(HubErrorKind::Consistency, "[hub] " + url +
                                                  ": the server sent no valid X-Repo-Commit header "
                                                  "(is HF_ENDPOINT a Hugging Face Hub?)");
  if (!is_safe_name(m.etag))
    throw HubError(HubErrorKind::Consistency,
                   "[hub] " + url + ": the server sent no usable ETag ('" + m.etag + "')");
  return m;
}

// Downloads `m.location` into blobs/<etag>, resuming <etag>.incomplete, retrying interruptions.
void download_blob(const Context& c, const ResolveOptions& o, const std::string& file,
                   const FileMetadata& m, const fs::path& blob) {
  fs::path incomplete = blob;
  incomplete += ".incomplete";
  fs::create_directories(blob.parent_path());
  std::error_code ec;
  if (o.force_download) fs::remove(incomplete, ec);
  ProgressReporter progress(o, file);
  http::Headers headers = c.auth();
  for (int attempt = 0;; ++attempt) {
    uint64_t resume = fs::exists(incomplete, ec) ? fs::file_size(incomplete, ec) : 0;
    if (m.size_known && resume > m.size) {  // not the file we expect: start again
      fs::remove(incomplete, ec);
      resume = 0;
    }
    if (m.size_known && resume == m.size && resume > 0) break;  // complete from an earlier run
    std::FILE* out = std::fopen(incomplete.c_str(), "ab");
    if (out == nullptr)
      throw HubError(HubErrorKind::Network, "[hub] cannot write " + incomplete.string() + ": " +
                                                std::strerror(errno));
    http::Response r;
    try {
      r = http::download(m.location, headers, out, resume, c.timeouts,
                         [&](uint64_t now, uint64_t total) {
                           progress.update(resume + now, total ? resume + total : m.size);
                         });
      std::fclose(out);
    } catch (const HubError& e) {
      std::fclose(out);
      if (attempt < o.max_retries) continue;  // resume from what arrived
      throw HubError(HubErrorKind::Network,
                     std::string(e.what()) + " while downloading '" + file + "' of '" + c.repo_id +
                         "'; the partial file " + incomplete.string() +
                         " is kept and the next run resumes it");
    }
    if (r.status == 416 && attempt < o.max_retries) {  // our partial file does not fit the server's
      fs::remove(incomplete, ec);
      continue;
    }
    if (r.status != 200 && r.status != 206)
      throw http_error(r, c, "", file, m.location, HubErrorKind::EntryNotFound);
    break;
  }
  uint64_t got = fs::file_size(incomplete);
  if (m.size_known && got != m.size) {
    fs::remove(incomplete, ec);
    throw HubError(HubErrorKind::Consistency,
                   "[hub] '" + file + "' of '" + c.repo_id + "': expected " +
                       std::to_string(m.size) + " bytes, received " + std::to_string(got));
  }
  fs::permissions(incomplete, fs::perms::owner_read | fs::perms::owner_write |
                                  fs::perms::group_read | fs::perms::others_read, ec);
  fs::rename(incomplete, blob);
  progress.finish(got);
}

fs::path cached_file(const Context& c, const std::string& revision, const std::string& file) {
  std::string commit = read_ref(c, revision);
  if (commit.empty()) return {};
  fs::path pointer = c.storage / "snapshots" / commit / file;
  std::error_code ec;
  return fs::exists(pointer, ec) ? pointer : fs::path();
}

fs::path cached_snapshot(const Context& c, const std::string& revision) {
  std::string commit = read_ref(c, revision);
  if (commit.empty()) return {};
  fs::path folder = c.storage / "snapshots" / commit;
  std::error_code ec;
  return fs::is_directory(folder, ec) ? folder : fs::path();
}

bool matches_any(const std::string& file, const std::vector<std::string>& patterns) {
  for (std::string p : patterns) {
    if (!p.empty() && p.back() == '/') p += "*";  // "folder/" means everything inside it
    if (::fnmatch(p.c_str(), file.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

fs::path cache_dir() {
  if (!env("HF_HUB_CACHE").empty()) return expand_user(env("HF_HUB_CACHE"));
  return hf_home() / "hub";
}

bool is_valid_repo_id(const std::string& id) {
  static const std::regex pattern(R"(^([A-Za-z0-9_.\-]+/)?[A-Za-z0-9_.\-]+$)");
  if (id.empty() || id.size() > 96 || !std::regex_match(id, pattern)) return false;
  if (id.find("--") != std::string::npos || id.find("..") != std::string::npos) return false;
  size_t slash = id.find('/');
  for (const std::string& part :
       {slash == std::string::npos ? id : id.substr(0, slash),
        slash == std::string::npos ? id : id.substr(slash + 1)}) {
    if (part.front() == '-' || part.front() == '.' || part.back() == '-' || part.back() == '.')
      return false;
  }
  return true;
}

std::string repo_folder_name(const std::string& repo_id) {
  std::string name = "models--";
  for (char ch : repo_id) {
    if (ch == '/')
      name += "--";
    else
      name += ch;
  }
  return name;
}

fs::path hf_hub_download(const std::string& repo_id, const std::string& file,
                         const ResolveOptions& o) {
  Context c = make_context(repo_id, o);
  if (!is_safe_repo_path(file))
    throw HubError(HubErrorKind::EntryNotFound,
                   "[hub] '" + file + "' is not a file path inside a repository");
  const std::string& revision = o.revision;
  if (is_commit_hash(revision) && !o.force_download) {
    if (fs::path p = cached_file(c, revision, file); !p.empty()) return p;
  }
  if (c.offline) {
    if (fs::path p = cached_file(c, revision, file); !p.empty()) return p;
    throw HubError(HubErrorKind::NotInCache,
                   "[hub] '" + file + "' of '" + repo_id + "' (revision '" + revision +
                       "') is not in the cache at " + c.storage.string() +
                       " and offline mode is on (HF_HUB_OFFLINE=1 or local_files_only)");
  }
  FileMetadata m;
  try {
    m = get_file_metadata(c, revision, file);
  } catch (const HubError& e) {
    // No network or a server error: a cached copy of this revision still serves (huggingface_hub
    // does the same); "not found" answers are final.
    bool transient = e.kind() == HubErrorKind::Network || e.kind() == HubErrorKind::Http;
    if (transient && !o.force_download) {
      if (fs::path p = cached_file(c, revision, file); !p.empty()) return p;
    }
    throw;
  }
  write_ref(c, revision, m.commit);
  fs::path pointer = c.storage / "snapshots" / m.commit / file;
  fs::path blob = c.storage / "blobs" / m.etag;
  std::error_code ec;
  if (!o.force_download && fs::exists(pointer, ec)) return pointer;
  if (o.force_download || !fs::exists(blob, ec)) {
    BlobLock lock(c.cache / ".locks" / repo_folder_name(repo_id) / (m.etag + ".lock"));
    if (o.force_download || !fs::exists(blob, ec)) download_blob(c, o, file, m, blob);
  }
  link_snapshot(pointer, file, m.etag);
  return pointer;
}

fs::path snapshot_download(const std::string& repo_id, const ResolveOptions& o) {
  Context c = make_context(repo_id, o);
  const std::string& revision = o.revision;
  std::optional<HubError> api_error;
  nlohmann::json info;
  if (!c.offline) {
    std::string url = c.endpoint + "/api/models/" + repo_id + "/revision/" +
                      http::quote(revision, "");
    try {
      http::Response r = http::request("GET", url, c.auth(), c.timeouts);
      if (r.status >= 400) {
        HubError e = http_error(r, c, revision, "", url, HubErrorKind::RepositoryNotFound);
        if (e.kind() == HubErrorKind::RevisionNotFound) throw e;
        api_error = e;
      } else {
        info = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
        if (!info.is_object() || !info.contains("sha") || !info["sha"].is_string() ||
            !info.contains("siblings") || !info["siblings"].is_array())
          throw HubError(HubErrorKind::Consistency,
                         "[hub] " + url + ": the answer is not a repo listing (sha, siblings)");
      }
    } catch (const HubError& e) {
      if (e.kind() != HubErrorKind::Network) throw;
      api_error = e;
    }
  }
  if (info.is_null()) {
    if (fs::path folder = cached_snapshot(c, revision); !folder.empty()) return folder;
    if (c.offline)
      throw HubError(HubErrorKind::NotInCache,
                     "[hub] '" + repo_id + "' (revision '" + revision + "') is not in the cache at " +
                         c.storage.string() +
                         " and offline mode is on (HF_HUB_OFFLINE=1 or local_files_only)");
    if (api_error->kind() == HubErrorKind::Network)
      throw HubError(HubErrorKind::Network, std::string(api_error->what()) +
                                                "; and '" + repo_id +
                                                "' is not in the cache at " + c.storage.string());
    throw *api_error;
  }
  std::string commit = info["sha"].get<std::string>();
  if (!is_commit_hash(commit))
    throw HubError(HubErrorKind::Consistency, "[hub] the Hub answered an invalid commit '" + commit +
                                                  "' for '" + repo_id + "'");
  write_ref(c, revision, commit);
  fs::path folder = c.storage / "snapshots" / commit;
  fs::create_directories(folder);
  ResolveOptions pinned = o;
  pinned.revision = commit;  // files already in this snapshot need no request at all
  for (const nlohmann::json& sibling : info["siblings"]) {
    if (!sibling.is_object() || !sibling.contains("rfilename") || !sibling["rfilename"].is_string())
      continue;
    std::string file = sibling["rfilename"].get<std::string>();
    if (!o.allow_patterns.empty() && !matches_any(file, o.allow_patterns)) continue;
    if (matches_any(file, o.ignore_patterns)) continue;
    if (!is_safe_repo_path(file))
      throw HubError(HubErrorKind::Consistency,
                     "[hub] the listing of '" + repo_id + "' names an unsafe path '" + file + "'");
    hf_hub_download(repo_id, file, pinned);
  }
  return folder;
}

fs::path resolve_model(const std::string& model, const ResolveOptions& options) {
  std::error_code ec;
  if (fs::is_directory(model, ec)) return model;
  bool looks_like_path = model.empty() || model[0] == '/' || model[0] == '.' || model[0] == '~';
  if (looks_like_path || fs::exists(model, ec) || !is_valid_repo_id(model)) {
    throw HubError(HubErrorKind::InvalidModelId,
                   "[hub] '" + model + "' is " +
                       (fs::exists(model, ec) ? "a file, not a model folder"
                                              : "neither a local folder nor a valid Hugging Face "
                                                "repo id (org/name)"));
  }
  ResolveOptions o = options;
  if (o.allow_patterns.empty())
    o.allow_patterns = {"*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "*.tiktoken"};
  return snapshot_download(model, o);
}

}  // namespace transformers::hub
