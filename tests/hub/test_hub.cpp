// The Hub client against a loopback server that answers like the Hub (fake_hub.h): the cache layout
// huggingface_hub writes, offline mode, tokens, the Hub's error kinds, redirects, resumed downloads,
// timeouts. Blob names are the files' real hashes, computed independently:
//   git hash-object (sha1 of "blob <size>\0" + contents) for small files, sha256sum for LFS files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "hub/fake_hub.h"
#include "support/fixtures.h"
#include "transformers/hub/hub.h"
#include "transformers/io/checkpoint.h"

namespace transformers::hub {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::FakeFile;
using testing::FakeHub;
using testing::FakeRepo;

const std::string kCommit = "1111111111111111111111111111111111111111";
const std::string kDevCommit = "2222222222222222222222222222222222222222";
// printf '{"model_type": "llama"}\n' | git hash-object --stdin
const std::string kConfigText = "{\"model_type\": \"llama\"}\n";
const std::string kConfigSha1 = "9eddb62b076f586b2186445e7872e5a05f0dfe06";
// printf '{"version": "1.0"}\n' | git hash-object --stdin
const std::string kTokText = "{\"version\": \"1.0\"}\n";
const std::string kTokSha1 = "92bdb0aff34a95a7c00546c3d608c984294164ed";
// bytes (i*7+3) % 256 for i in 0..2999, then sha256sum
const std::string kWeightsSha256 = "f541874101876255b4baf3a739778d04cb9cba25ffa38b30bc1fb8b0701f2a45";
// printf 'PK fake pytorch bytes' | sha256sum
const std::string kBinSha256 = "5c4d8a9801f1e8b9bd8bc5c25278e251abe294fba81b8e19f79512c00c24dab1";

std::string weights_bytes() {
  std::string s(3000, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = char((i * 7 + 3) % 256);
  return s;
}

FakeRepo tiny_repo() {
  FakeRepo r;
  r.commit = kCommit;
  r.branches["dev"] = kDevCommit;
  r.files["config.json"] = {kConfigText, kConfigSha1, false};
  r.files["sub/tokenizer.json"] = {kTokText, kTokSha1, false};
  r.files["model.safetensors"] = {weights_bytes(), kWeightsSha256, true};
  r.files["pytorch_model.bin"] = {"PK fake pytorch bytes", kBinSha256, true};
  return r;
}

// Clears the environment variables the client reads, restoring them afterwards.
class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVars) {
      const char* v = std::getenv(name);
      saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
      ::unsetenv(name);
    }
    dir_ = testing::temp_dir(std::string("hub_") +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    // No test may find a real token or cache: HOME points at the temp folder too.
    ::setenv("HOME", dir_.c_str(), 1);
    hub_.add_repo("org/tiny", tiny_repo());
  }
  void TearDown() override {
    for (auto& [name, v] : saved_) {
      if (v)
        ::setenv(name, v->c_str(), 1);
      else
        ::unsetenv(name);
    }
  }
  ResolveOptions options() const {
    ResolveOptions o;
    o.cache_dir = dir_ / "cache";
    o.endpoint = hub_.endpoint();
    o.progress = false;
    o.connect_timeout_s = 5;
    o.request_timeout_s = 5;
    o.stall_timeout_s = 5;
    return o;
  }
  fs::path storage() const { return dir_ / "cache" / "models--org--tiny"; }
  int count_requests(const std::string& method, const std::string& prefix) {
    int n = 0;
    for (const auto& r : hub_.requests()) n += r.method == method && r.path.rfind(prefix, 0) == 0;
    return n;
  }

  static constexpr const char* kVars[] = {"HF_HOME",     "HF_HUB_CACHE",   "XDG_CACHE_HOME",
                                          "HF_TOKEN",    "HF_TOKEN_PATH",  "HF_ENDPOINT",
                                          "HF_HUB_OFFLINE", "HOME",        "HF_HUB_DISABLE_PROGRESS_BARS"};
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
  fs::path dir_;
  FakeHub hub_;
};

HubErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const HubError& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "expected a HubError";
  return HubErrorKind::Http;
}

TEST_F(HubTest, CacheDirFollowsTheEnvironmentInHuggingFaceOrder) {
  EXPECT_EQ(cache_dir(), dir_ / ".cache/huggingface/hub");
  ::setenv("XDG_CACHE_HOME", "/x", 1);
  EXPECT_EQ(cache_dir(), fs::path("/x/huggingface/hub"));
  ::setenv("HF_HOME", "/h", 1);
  EXPECT_EQ(cache_dir(), fs::path("/h/hub"));
  ::setenv("HF_HUB_CACHE", "/c", 1);
  EXPECT_EQ(cache_dir(), fs::path("/c"));
  ::setenv("HF_HUB_CACHE", "~/hf", 1);
  EXPECT_EQ(cache_dir(), dir_ / "hf");
}

TEST_F(HubTest, RepoIdsAndFolderNames) {
  for (const char* ok : {"gpt2", "org/name", "Org-1/na.me_2", "a/b"}) EXPECT_TRUE(is_valid_repo_id(ok)) << ok;
  for (const char* bad : {"", "a/b/c", "org--x/y", "a..b", "-a", "a.", "/abs", "org/", "sp ace",
                          "org/na?me"})
    EXPECT_FALSE(is_valid_repo_id(bad)) << bad;
  EXPECT_FALSE(is_valid_repo_id(std::string(97, 'a')));
  EXPECT_EQ(repo_folder_name("org/name"), "models--org--name");
  EXPECT_EQ(repo_folder_name("gpt2"), "models--gpt2");
}

TEST_F(HubTest, SnapshotDownloadWritesTheHuggingFaceCacheLayout) {
  fs::path snap = snapshot_download("org/tiny", options());
  EXPECT_EQ(snap, storage() / "snapshots" / kCommit);
  EXPECT_EQ(testing::read_file(storage() / "refs/main"), kCommit);  // no newline
  // Symlinks relative to the snapshot folder, blobs named by ETag.
  EXPECT_EQ(fs::read_symlink(snap / "config.json"), fs::path("../../blobs/" + kConfigSha1));
  EXPECT_EQ(fs::read_symlink(snap / "sub/tokenizer.json"), fs::path("../../../blobs/" + kTokSha1));
  EXPECT_EQ(fs::read_symlink(snap / "model.safetensors"), fs::path("../../blobs/" + kWeightsSha256));
  EXPECT_EQ(testing::read_file(storage() / "blobs" / kConfigSha1), kConfigText);
  EXPECT_EQ(testing::read_file(snap / "sub/tokenizer.json"), kTokText);
  EXPECT_EQ(testing::read_file(snap / "model.safetensors"), weights_bytes());
  EXPECT_EQ(testing::read_file(snap / "pytorch_model.bin"), "PK fake pytorch bytes");
  std::vector<std::string> blobs;
  for (const auto& e : fs::directory_iterator(storage() / "blobs"))
    blobs.push_back(e.path().filename().string());
  std::sort(blobs.begin(), blobs.end());
  std::vector<std::string> expected = {kBinSha256, kTokSha1, kConfigSha1, kWeightsSha256};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(blobs, expected) << "no .incomplete left over";
  EXPECT_TRUE(fs::exists(dir_ / "cache/.locks/models--org--tiny" / (kWeightsSha256 + ".lock")));
  // The LFS file went through the redirect to the CDN.
  EXPECT_EQ(count_requests("GET", "/cdn/" + kWeightsSha256), 1);

  // Everything is cached: a second run lists the repo and downloads nothing.
  hub_.clear_requests();
  EXPECT_EQ(snapshot_download("org/tiny", options()), snap);
  EXPECT_EQ(count_requests("GET", "/api/models/org/tiny/revision/main"), 1);
  EXPECT_EQ(hub_.requests().size(), 1u);
}

TEST_F(HubTest, BranchesAndCommitRevisions) {
  ResolveOptions o = options();
  o.revision = "dev";
  fs::path snap = snapshot_download("org/tiny", o);
  EXPECT_EQ(snap, storage() / "snapshots" / kDevCommit);
  EXPECT_EQ(testing::read_file(storage() / "refs/dev"), kDevCommit);
  EXPECT_FALSE(fs::exists(storage() / "refs/main"));
  // Files with the same contents share one blob across snapshots.
  o.revision = "main";
  fs::path main_snap = snapshot_download("org/tiny", o);
  EXPECT_EQ(fs::canonical(main_snap / "config.json"), fs::canonical(snap / "config.json"));
  // A commit hash as revision writes no ref, and a cached file needs no request at all.
  hub_.clear_requests();
  o.revision = kCommit;
  EXPECT_EQ(hf_hub_download("org/tiny", "config.json", o), main_snap / "config.json");
  EXPECT_TRUE(hub_.requests().empty());
  EXPECT_FALSE(fs::exists(storage() / "refs" / kCommit));
  // A revision name with a slash is quoted in URLs and nests under refs/.
  EXPECT_EQ(kind_of([&] {
              ResolveOptions p = options();
              p.revision = "refs/pr/1";
              snapshot_download("org/tiny", p);
            }),
            HubErrorKind::RevisionNotFound);
  EXPECT_EQ(hub_.requests().back().path, "/api/models/org/tiny/revision/refs%2Fpr%2F1");
  // A revision cannot climb out of refs/.
  hub_.clear_requests();
  for (const char* bad : {"../../escape", "/abs", ""}) {
    ResolveOptions p = options();
    p.revision = bad;
    EXPECT_EQ(kind_of([&] { snapshot_download("org/tiny", p); }), HubErrorKind::RevisionNotFound) << bad;
  }
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubTest, AllowAndIgnorePatterns) {
  ResolveOptions o = options();
  o.allow_patterns = {"*.json"};
  fs::path snap = snapshot_download("org/tiny", o);
  EXPECT_TRUE(fs::exists(snap / "config.json"));
  EXPECT_TRUE(fs::exists(snap / "sub/tokenizer.json"));  // fnmatch: '*' crosses '/'
  EXPECT_FALSE(fs::exists(snap / "model.safetensors"));
  o.allow_patterns = {"sub/"};  // a folder means everything inside it
  o.ignore_patterns = {};
  snapshot_download("org/tiny", o);
  o.allow_patterns = {};
  o.ignore_patterns = {"*.bin", "*.json"};
  snapshot_download("org/tiny", o);
  EXPECT_TRUE(fs::exists(snap / "model.safetensors"));
  EXPECT_FALSE(fs::exists(snap / "pytorch_model.bin"));
}

TEST_F(HubTest, ResolveModelTakesFoldersIdsAndRejectsTheRest) {
  EXPECT_EQ(resolve_model(dir_.string()), dir_);
  std::string msg;
  EXPECT_EQ(kind_of([&] { resolve_model("not a/valid//id", options()); }, &msg),
            HubErrorKind::InvalidModelId);
  EXPECT_THAT(msg, HasSubstr("neither a local folder nor a valid Hugging Face repo id"));
  EXPECT_EQ(kind_of([&] { resolve_model("./missing_folder", options()); }), HubErrorKind::InvalidModelId);
  std::ofstream(dir_ / "file.txt") << "x";
  EXPECT_EQ(kind_of([&] { resolve_model((dir_ / "file.txt").string(), options()); }, &msg),
            HubErrorKind::InvalidModelId);
  EXPECT_THAT(msg, HasSubstr("a file, not a model folder"));
  // An id downloads what a model needs: no pytorch_model.bin.
  fs::path snap = resolve_model("org/tiny", options());
  EXPECT_TRUE(fs::exists(snap / "model.safetensors"));
  EXPECT_TRUE(fs::exists(snap / "sub/tokenizer.json"));
  EXPECT_FALSE(fs::exists(snap / "pytorch_model.bin"));
  EXPECT_EQ(count_requests("GET", "/cdn/" + kBinSha256), 0);
}

TEST_F(HubTest, OfflineModeUsesTheCacheOnly) {
  fs::path snap = snapshot_download("org/tiny", options());
  hub_.clear_requests();
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  EXPECT_EQ(snapshot_download("org/tiny", options()), snap);
  EXPECT_EQ(resolve_model("org/tiny", options()), snap);
  EXPECT_EQ(hf_hub_download("org/tiny", "config.json", options()), snap / "config.json");
  EXPECT_TRUE(hub_.requests().empty()) << "offline means no request at all";
  std::string msg;
  EXPECT_EQ(kind_of([&] { snapshot_download("org/other", options()); }, &msg), HubErrorKind::NotInCache);
  EXPECT_THAT(msg, HasSubstr("offline"));
  EXPECT_EQ(kind_of([&] { hf_hub_download("org/tiny", "absent.json", options()); }),
            HubErrorKind::NotInCache);
  ::unsetenv("HF_HUB_OFFLINE");
  ResolveOptions o = options();
  o.local_files_only = true;
  o.revision = "dev";  // never downloaded
  EXPECT_EQ(kind_of([&] { snapshot_download("org/tiny", o); }), HubErrorKind::NotInCache);
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubTest, ReadsACacheWrittenByHuggingfaceHub) {
  // The layout huggingface_hub writes, built by hand: refs/main, a blob, a relative symlink.
  fs::path storage = dir_ / "cache/models--acme--tiny-llama";
  fs::create_directories(storage / "refs");
  fs::create_directories(storage / "blobs");
  fs::create_directories(storage / "snapshots" / kCommit);
  std::ofstream(storage / "refs/main") << kCommit;
  float w[2] = {1.5f, -2.f};
  io::save_safetensors(storage / "blobs" / kWeightsSha256, {{"w", DType::Float32, {2}, w}});
  fs::create_symlink("../../blobs/" + kWeightsSha256, storage / "snapshots" / kCommit / "model.safetensors");
  ::setenv("HF_HOME", dir_.c_str(), 1);
  ::setenv("HF_HUB_CACHE", (dir_ / "cache").c_str(), 1);
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  fs::path snap = resolve_model("acme/tiny-llama");
  EXPECT_EQ(snap, storage / "snapshots" / kCommit);
  io::Checkpoint ckpt = io::Checkpoint::open(snap);
  ASSERT_NE(ckpt.find("w"), nullptr);
  EXPECT_EQ(reinterpret_cast<const float*>(ckpt.find("w")->data)[1], -2.f);
}

TEST_F(HubTest, PrivateRepoNeedsTheToken) {
  FakeRepo priv = tiny_repo();
  priv.token = "hf_secret";
  hub_.add_repo("org/private", priv);
  std::string msg;
  EXPECT_EQ(kind_of([&] { snapshot_download("org/private", options()); }, &msg),
            HubErrorKind::RepositoryNotFound);
  EXPECT_THAT(msg, HasSubstr("HTTP 401"));
  EXPECT_THAT(msg, HasSubstr("HF_TOKEN"));
  ResolveOptions o = options();
  o.token = "hf_wrong";
  EXPECT_EQ(kind_of([&] { hf_hub_download("org/private", "config.json", o); }),
            HubErrorKind::RepositoryNotFound);
  ::setenv("HF_TOKEN", "hf_secret", 1);
  hub_.clear_requests();
  fs::path snap = snapshot_download("org/private", options());
  EXPECT_TRUE(fs::exists(snap / "model.safetensors"));
  for (const auto& r : hub_.requests())
    EXPECT_EQ(r.authorization, "Bearer hf_secret") << r.method << " " << r.path;
  // The token file under HF_HOME serves when HF_TOKEN is unset.
  ::unsetenv("HF_TOKEN");
  ::setenv("HF_HOME", dir_.c_str(), 1);
  std::ofstream(dir_ / "token") << "hf_secret\n";
  ResolveOptions f = options();
  f.force_download = true;
  EXPECT_NO_THROW(hf_hub_download("org/private", "config.json", f));
}

TEST_F(HubTest, NotFoundKindsFollowTheHubsErrorCodes) {
  std::string msg;
  EXPECT_EQ(kind_of([&] { snapshot_download("org/absent", options()); }, &msg),
            HubErrorKind::RepositoryNotFound);
  EXPECT_THAT(msg, HasSubstr("'org/absent'"));
  ResolveOptions o = options();
  o.revision = "v9";
  EXPECT_EQ(kind_of([&] { snapshot_download("org/tiny", o); }, &msg), HubErrorKind::RevisionNotFound);
  EXPECT_THAT(msg, HasSubstr("revision 'v9'"));
  EXPECT_EQ(kind_of([&] { hf_hub_download("org/tiny", "nope.json", options()); }, &msg),
            HubErrorKind::EntryNotFound);
  EXPECT_THAT(msg, HasSubstr("file 'nope.json'"));
  EXPECT_EQ(kind_of([&] { hf_hub_download("org/tiny", "../escape", options()); }),
            HubErrorKind::EntryNotFound);
}

TEST_F(HubTest, RenamedRepoFollowsTheRelativeRedirect) {
  hub_.add_rename("old/tiny", "org/tiny");
  fs::path p = hf_hub_download("old/tiny", "config.json", options());
  // Stored under the id that was asked for, as huggingface_hub does.
  EXPECT_EQ(p, dir_ / "cache/models--old--tiny/snapshots" / kCommit / "config.json");
  EXPECT_EQ(testing::read_file(p), kConfigText);
}

TEST_F(HubTest, InterruptedDownloadResumesWithinTheCall) {
  hub_.cut_next_cdn = 1;
  hub_.cut_after_bytes = 1000;
  fs::path p = hf_hub_download("org/tiny", "model.safetensors", options());
  EXPECT_EQ(testing::read_file(p), weights_bytes());
  std::vector<std::string> ranges;
  for (const auto& r : hub_.requests())
    if (r.path.rfind("/cdn/", 0) == 0) ranges.push_back(r.range);
  EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=1000-"}));
}

TEST_F(HubTest, InterruptedDownloadResumesOnTheNextRun) {
  ResolveOptions o = options();
  o.max_retries = 0;
  hub_.cut_next_cdn = 1;
  hub_.cut_after_bytes = 1234;
  std::string msg;
  EXPECT_EQ(kind_of([&] { hf_hub_download("org/tiny", "model.safetensors", o); }, &msg),
            HubErrorKind::Network);
  EXPECT_THAT(msg, HasSubstr("resumes"));
  fs::path incomplete = storage() / "blobs" / (kWeightsSha256 + ".incomplete");
  ASSERT_TRUE(fs::exists(incomplete));
  EXPECT_EQ(fs::file_size(incomplete), 1234u);
  EXPECT_FALSE(fs::exists(storage() / "snapshots" / kCommit / "model.safetensors"));
  hub_.clear_requests();
  fs::path p = hf_hub_download("org/tiny", "model.safetensors", o);
  EXPECT_EQ(testing::read_file(p), weights_bytes());
  EXPECT_FALSE(fs::exists(incomplete));
  EXPECT_EQ(hub_.requests().back().range, "bytes=1234-");
}

TEST_F(HubTest, ServerIgnoringRangeStillGivesTheRightFile) {
  ResolveOptions o = options();
  o.max_retries = 0;
  hub_.cut_next_cdn = 1;
  EXPECT_THROW(hf_hub_download("org/tiny", "model.safetensors", o), HubError);
  hub_.ignore_range = true;  // the next answer is a 200 with everything
  fs::path p = hf_hub_download("org/tiny", "model.safetensors", o);
  EXPECT_EQ(testing::read_file(p), weights_bytes());
}

TEST_F(HubTest, SizeMismatchIsAnError) {
  FakeRepo r = tiny_repo();
  r.files["model.safetensors"].size_override = 2999;
  hub_.add_repo("org/liar", r);
  std::string msg;
  EXPECT_EQ(kind_of([&] { hf_hub_download("org/liar", "model.safetensors", options()); }, &msg),
            HubErrorKind::Consistency);
  EXPECT_THAT(msg, HasSubstr("expected 2999 bytes, received 3000"));
}

TEST_F(HubTest, UnsafeNamesFromTheServerAreRejected) {
  FakeRepo r = tiny_repo();
  r.extra_listing = {"../../escape.txt"};
  hub_.add_repo("org/evil", r);
  EXPECT_EQ(kind_of([&] { snapshot_download("org/evil", options()); }), HubErrorKind::Consistency);
  EXPECT_FALSE(fs::exists(dir_ / "cache/escape.txt"));
  EXPECT_FALSE(fs::exists(dir_ / "escape.txt"));
}

TEST_F(HubTest, NetworkFailureIsClearAndFallsBackToTheCache) {
  ResolveOptions o = options();
  o.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  std::string msg;
  EXPECT_EQ(kind_of([&] { snapshot_download("org/tiny", o); }, &msg), HubErrorKind::Network);
  EXPECT_THAT(msg, HasSubstr("network error"));
  EXPECT_THAT(msg, HasSubstr("not in the cache"));
  fs::path snap = snapshot_download("org/tiny", options());
  EXPECT_EQ(snapshot_download("org/tiny", o), snap);  // unreachable Hub, cached snapshot
  EXPECT_EQ(hf_hub_download("org/tiny", "config.json", o), snap / "config.json");
  hub_.fail_500 = true;  // a Hub that is down behaves the same
  EXPECT_EQ(snapshot_download("org/tiny", options()), snap);
}

TEST_F(HubTest, AStalledServerTimesOut) {
  ResolveOptions o = options();
  o.request_timeout_s = 1;
  hub_.stall_ms = 3000;
  auto start = std::chrono::steady_clock::now();
  std::string msg;
  EXPECT_EQ(kind_of([&] { snapshot_download("org/tiny", o); }, &msg), HubErrorKind::Network);
  EXPECT_THAT(msg, HasSubstr("timed out"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2900));
}

TEST_F(HubTest, ProgressReportsEveryByte) {
  ResolveOptions o = options();
  std::map<std::string, std::pair<uint64_t, uint64_t>> last;
  o.on_progress = [&](const std::string& file, uint64_t done, uint64_t total) {
    EXPECT_LE(done, total == 0 ? done : total);
    last[file] = {done, total};
  };
  hf_hub_download("org/tiny", "model.safetensors", o);
  EXPECT_EQ(last["model.safetensors"], std::make_pair(uint64_t(3000), uint64_t(3000)));
}

}  // namespace
}  // namespace transformers::hub
