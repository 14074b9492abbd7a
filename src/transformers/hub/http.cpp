#include "transformers/hub/http.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "transformers/hub/errors.h"

namespace transformers::hub::http {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  Response response;
  std::FILE* out = nullptr;  // download target, or nullptr to keep the body in memory
  const Progress* progress = nullptr;
  uint64_t resume_from = 0;
  bool started = false;
  bool write_failed = false;
};

// Headers arrive one line at a time; a status line starts a new response (redirect hops).
size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();
    size_t sp = line.find(' ');
    t->response.status = sp == std::string::npos ? 0 : std::atol(line.c_str() + sp + 1);
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    size_t v = colon + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
    t->response.headers[name] = line.substr(v);
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  long s = t->response.status;
  if (t->out != nullptr && (s == 200 || s == 206)) {
    if (!t->started) {
      t->started = true;
      // The server ignored our Range and sends the whole file: start the file over.
      if (s == 200 && t->resume_from > 0 &&
          (std::fflush(t->out) != 0 || ::ftruncate(::fileno(t->out), 0) != 0 ||
           std::fseek(t->out, 0, SEEK_SET) != 0)) {
        t->write_failed = true;
        return 0;
      }
    }
    if (std::fwrite(data, 1, bytes, t->out) != bytes) {
      t->write_failed = true;
      return 0;  // makes curl abort the transfer
    }
    return bytes;
  }
  if (t->response.body.size() < (1u << 20)) t->response.body.append(data, bytes);
  return bytes;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->progress != nullptr && *t->progress && (t->response.status == 200 || t->response.status == 206))
    (*t->progress)(uint64_t(now), uint64_t(total));
  return 0;
}

Response perform(const std::string& method, const std::string& url, const Headers& headers,
                 const Timeouts& timeouts, std::FILE* out, uint64_t resume_from,
                 const Progress* progress) {
  global_init();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw HubError(HubErrorKind::Network, "[hub] cannot initialise libcurl");
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  Transfer t;
  t.out = out;
  t.progress = progress;
  t.resume_from = resume_from;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "transformers.cpp/0.1");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeouts.connect_s);
  // Never hang: a stalled connection is abandoned after stall_s seconds below 1 byte/s.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeouts.stall_s);
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  }
  if (out == nullptr) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeouts.request_s);
  } else {
    // Downloads follow the Hub's redirect to its CDN; curl drops our Authorization header when
    // the host changes (CURLOPT_UNRESTRICTED_AUTH stays off).
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    if (resume_from > 0) {
      std::string range = std::to_string(resume_from) + "-";
      curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());  // copied by curl
    }
  }
  CURLcode rc = curl_easy_perform(curl);
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective != nullptr) t.response.effective_url = effective;
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  if (t.write_failed)
    throw HubError(HubErrorKind::Network, "[hub] cannot write the download of " + url + " to disk");
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    throw HubError(HubErrorKind::Network,
                   "[hub] network error for " + url + ": " + detail +
                       (rc == CURLE_OPERATION_TIMEDOUT ? " (timed out)" : ""));
  }
  return t.response;
}

}  // namespace

std::string Response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Response request(const std::string& method, const std::string& url, const Headers& headers,
                 const Timeouts& timeouts) {
  return perform(method, url, headers, timeouts, nullptr, 0, nullptr);
}

Response download(const std::string& url, const Headers& headers, std::FILE* out,
                  uint64_t resume_from, const Timeouts& timeouts, const Progress& progress) {
  return perform("GET", url, headers, timeouts, out, resume_from, &progress);
}

std::string quote(const std::string& s, const std::string& safe) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        safe.find(char(c)) != std::string::npos) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace transformers::hub::http
