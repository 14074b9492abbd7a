#pragma once
// A loopback HTTP server that answers like the Hugging Face Hub's endpoints, for tests:
//   GET  /api/models/<repo>/revision/<rev>   {"id", "sha", "siblings": [{"rfilename"}]}
//   HEAD|GET /<repo>/resolve/<rev>/<path>     small files: 200 + ETag (git blob sha1) + X-Repo-Commit;
//                                             LFS files: 302 to /cdn/<sha256> + X-Linked-Etag,
//                                             X-Linked-Size, X-Repo-Commit
//   GET  /cdn/<sha256>                        the bytes, honouring "Range: bytes=N-" with 206
// Errors carry X-Error-Code as the Hub sends it (RepoNotFound, RevisionNotFound, EntryNotFound);
// a private repo without the right "Authorization: Bearer" answers 401. Knobs make it cut a transfer
// short, ignore Range, stall, or answer 500. Written on POSIX sockets rather than cpp-httplib so a
// test controls the connection byte by byte (a body cut mid-way, a server that goes silent).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace transformers::testing {

struct FakeFile {
  std::string content;
  std::string etag;  // git blob sha1 (small file) or sha256 (LFS file), as the Hub reports them
  bool lfs = false;
  long size_override = -1;  // announce a wrong X-Linked-Size when >= 0
};

struct FakeRepo {
  std::string commit;                          // what "main" points to
  std::map<std::string, std::string> branches;  // other branch -> commit
  std::map<std::string, FakeFile> files;       // path -> file (same files at every commit)
  std::string token;                           // non-empty: private, needs this Bearer token
  std::vector<std::string> extra_listing;      // names listed by the API but not served
};

struct SeenRequest {
  std::string method, path, range, authorization;
};

class FakeHub {
 public:
  FakeHub() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 16) != 0)
      throw std::runtime_error("fake hub: cannot listen on loopback");
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~FakeHub() {
    stop_ = true;
    accept_thread_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
    ::close(listen_fd_);
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void add_repo(const std::string& id, FakeRepo repo) {
    std::lock_guard<std::mutex> lock(serve_mu_);
    repos_[id] = std::move(repo);
  }
  void add_rename(const std::string& old_id, const std::string& new_id) {
    std::lock_guard<std::mutex> lock(serve_mu_);
    renames_[old_id] = new_id;
  }
  std::vector<SeenRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.clear();
  }

  std::atomic<int> cut_next_cdn{0};        // this many CDN answers stop after cut_after_bytes
  std::atomic<size_t> cut_after_bytes{100};
  std::atomic<bool> ignore_range{false};   // answer 200 with the whole file to a Range request
  std::atomic<int> stall_ms{0};            // wait this long before answering anything
  std::atomic<bool> fail_500{false};

 private:
  static std::string url_decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, fd] {
        handle(fd);
        ::close(fd);
      });
    }
  }

  void send_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += size_t(n);
    }
  }

  void reply(int fd, bool head, int status, std::vector<std::string> headers,
             const std::string& body, size_t send_only = std::string::npos) {
    static const std::map<int, std::string> reasons = {
        {200, "OK"}, {206, "Partial Content"}, {302, "Found"}, {307, "Temporary Redirect"},
        {401, "Unauthorized"}, {404, "Not Found"}, {500, "Internal Server Error"}};
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reasons.at(status) + "\r\n";
    bool has_length = false;
    for (const auto& h : headers) {
      out += h + "\r\n";
      if (h.rfind("Content-Length:", 0) == 0) has_length = true;
    }
    if (!has_length) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (!head) out += body.substr(0, send_only);
    send_all(fd, out);
  }

  void handle(int fd) {
    timeval tv{5, 0};  // a client that never finishes its request cannot hold the test
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      req.append(buf, size_t(n));
    }
    std::string line = req.substr(0, req.find("\r\n"));
    std::string method = line.substr(0, line.find(' '));
    std::string target = line.substr(method.size() + 1);
    target = target.substr(0, target.find(' '));
    auto header = [&](const std::string& name) {
      std::string lower_req = req;
      for (auto& c : lower_req) c = char(std::tolower(static_cast<unsigned char>(c)));
      size_t at = lower_req.find("\r\n" + name + ":");
      if (at == std::string::npos) return std::string();
      size_t v = at + 2 + name.size() + 1;
      while (v < req.size() && req[v] == ' ') ++v;
      return req.substr(v, req.find("\r\n", v) - v);
    };
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back({method, target, header("range"), header("authorization")});
    }
    for (int waited = 0; waited < stall_ms && !stop_; waited += 10)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    bool head = method == "HEAD";
    if (fail_500) return reply(fd, head, 500, {}, "boom");
    std::lock_guard<std::mutex> lock(serve_mu_);  // answers one at a time: simple and deterministic
    if (target.rfind("/cdn/", 0) == 0) return serve_cdn(fd, head, target.substr(5), header("range"));
    if (target.rfind("/api/models/", 0) == 0) {
      std::string rest = target.substr(12);
      size_t at = rest.rfind("/revision/");
      if (at == std::string::npos) return reply(fd, head, 404, {}, "bad api path");
      return serve_api(fd, rest.substr(0, at), url_decode(rest.substr(at + 10)),
                       header("authorization"));
    }
    size_t at = target.find("/resolve/");
    if (at == std::string::npos) return reply(fd, head, 404, {}, "unknown path");
    std::string repo_id = target.substr(1, at - 1);
    std::string rest = target.substr(at + 9);
    std::string rev = url_decode(rest.substr(0, rest.find('/')));
    std::string file = url_decode(rest.substr(rest.find('/') + 1));
    return serve_resolve(fd, head, repo_id, rev, file, rest, header("authorization"));
  }

  // The repo (nullptr after an error answer has been sent) and the commit `rev` names.
  const FakeRepo* find_repo(int fd, bool head, const std::string& id, const std::string& rev,
                            const std::string& auth, std::string* commit) {
    auto it = repos_.find(id);
    if (it == repos_.end()) {
      reply(fd, head, 404, {"X-Error-Code: RepoNotFound", "X-Error-Message: Repository not found"},
            "");
      return nullptr;
    }
    const FakeRepo& repo = it->second;
    if (!repo.token.empty() && auth != "Bearer " + repo.token) {
      reply(fd, head, 401, {"X-Error-Code: RepoNotFound", "X-Error-Message: Invalid credentials"},
            "");
      return nullptr;
    }
    if (rev == "main" || rev == repo.commit) {
      *commit = repo.commit;
    } else if (repo.branches.count(rev)) {
      *commit = repo.branches.at(rev);
    } else {
      bool known = false;
      for (const auto& [b, c] : repo.branches) known = known || c == rev;
      if (!known) {
        reply(fd, head, 404, {"X-Error-Code: RevisionNotFound",
                              "X-Error-Message: Invalid rev id: " + rev}, "");
        return nullptr;
      }
      *commit = rev;
    }
    return &repo;
  }

  void serve_api(int fd, const std::string& id, const std::string& rev, const std::string& auth) {
    std::string commit;
    const FakeRepo* repo = find_repo(fd, false, id, rev, auth, &commit);
    if (repo == nullptr) return;
    std::string body = "{\"id\":\"" + id + "\",\"sha\":\"" + commit + "\",\"siblings\":[";
    bool first = true;
    auto add = [&](const std::string& name) {
      body += std::string(first ? "" : ",") + "{\"rfilename\":\"" + name + "\"}";
      first = false;
    };
    for (const auto& [name, f] : repo->files) add(name);
    for (const auto& name : repo->extra_listing) add(name);
    body += "]}";
    reply(fd, false, 200, {"Content-Type: application/json"}, body);
  }

  void serve_resolve(int fd, bool head, const std::string& id, const std::string& rev,
                     const std::string& file, const std::string& rest, const std::string& auth) {
    if (renames_.count(id))  // a renamed repo: relative redirect on the same site
      return reply(fd, head, 307, {"Location: /" + renames_.at(id) + "/resolve/" + rest}, "");
    std::string commit;
    const FakeRepo* repo = find_repo(fd, head, id, rev, auth, &commit);
    if (repo == nullptr) return;
    auto it = repo->files.find(file);
    if (it == repo->files.end())
      return reply(fd, head, 404, {"X-Error-Code: EntryNotFound", "X-Repo-Commit: " + commit,
                                   "X-Error-Message: Entry not found"}, "");
    const FakeFile& f = it->second;
    if (f.lfs) {
      long size = f.size_override >= 0 ? f.size_override : long(f.content.size());
      return reply(fd, head, 302,
                   {"Location: " + endpoint() + "/cdn/" + f.etag, "X-Repo-Commit: " + commit,
                    "X-Linked-Etag: \"" + f.etag + "\"", "X-Linked-Size: " + std::to_string(size),
                    "ETag: \"0123456789abcdef0123456789abcdef01234567\""},
                   "redirecting");
    }
    reply(fd, head, 200, {"ETag: \"" + f.etag + "\"", "X-Repo-Commit: " + commit}, f.content);
  }

  void serve_cdn(int fd, bool head, const std::string& etag, const std::string& range) {
    const FakeFile* f = nullptr;
    for (const auto& [id, repo] : repos_)
      for (const auto& [name, file] : repo.files)
        if (file.lfs && file.etag == etag) f = &file;
    if (f == nullptr) return reply(fd, head, 404, {}, "no such object");
    size_t from = 0;
    if (!range.empty() && !ignore_range) from = std::stoul(range.substr(range.find('=') + 1));
    std::string body = f->content.substr(std::min(from, f->content.size()));
    size_t send_only = std::string::npos;
    if (cut_next_cdn > 0) {
      --cut_next_cdn;
      send_only = cut_after_bytes;  // Content-Length promises more: the client sees a cut
    }
    if (from > 0) {
      std::string cr = "Content-Range: bytes " + std::to_string(from) + "-" +
                       std::to_string(f->content.size() - 1) + "/" +
                       std::to_string(f->content.size());
      return reply(fd, head, 206, {cr}, body, send_only);
    }
    reply(fd, head, 200, {}, body, send_only);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex mu_, serve_mu_;
  std::vector<std::thread> workers_;
  std::vector<SeenRequest> seen_;
  std::map<std::string, FakeRepo> repos_;
  std::map<std::string, std::string> renames_;
};

}  // namespace transformers::testing
