#pragma once
// A small libcurl wrapper for the Hub client (internal to hub/; keeps curl out of other headers).
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace transformers::hub::http {

struct Timeouts {
  long connect_s = 10;  // TCP connect
  long request_s = 30;  // whole request, for small requests (HEAD, API calls)
  long stall_s = 30;    // downloads: abort when under 1 byte/s for this long
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  std::string body;                            // small requests only
  std::string effective_url;                   // after redirects

  std::string header(const std::string& lower_name) const;
};

using Headers = std::vector<std::string>;  // "Name: value" lines

// HEAD or GET without following redirects, body kept in memory. Throws HubError(Network) when no
// answer arrives; any HTTP status is returned.
Response request(const std::string& method, const std::string& url, const Headers& headers,
                 const Timeouts& timeouts);

// Progress: (bytes received so far in this transfer, total of this transfer or 0 when unknown).
using Progress = std::function<void(uint64_t now, uint64_t total)>;

// GET following redirects. When `resume_from` > 0 a "Range: bytes=<resume_from>-" header is sent and
// a 206 answer is appended to `out` (positioned at its end); a 200 answer (range ignored) rewrites
// `out` from the start. Error bodies are returned in Response::body. Throws HubError(Network) when
// the transfer fails (the bytes written so far stay in `out`).
Response download(const std::string& url, const Headers& headers, std::FILE* out,
                  uint64_t resume_from, const Timeouts& timeouts, const Progress& progress);

// Percent-encoding as Python's urllib.parse.quote: unreserved characters and `safe` stay.
std::string quote(const std::string& s, const std::string& safe);

}  // namespace transformers::hub::http
