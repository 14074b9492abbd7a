#include "transformers/hub/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace transformers::hub {

namespace {
bool progress_disabled_by_env() {
  const char* v = std::getenv("HF_HUB_DISABLE_PROGRESS_BARS");
  return v != nullptr && (!std::strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
                          !strcasecmp(v, "on"));
}

std::string human(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}
}  // namespace

ProgressReporter::ProgressReporter(const ResolveOptions& options, std::string file)
    : callback_(options.on_progress ? &options.on_progress : nullptr),
      file_(std::move(file)),
      enabled_(options.progress && !progress_disabled_by_env()),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_() {}

void ProgressReporter::update(uint64_t done, uint64_t total) {
  if (first_done_ == UINT64_MAX) first_done_ = done;
  if (callback_ != nullptr) {
    (*callback_)(file_, done, total);
    return;
  }
  if (!enabled_ || !terminal_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done, total, false);
}

void ProgressReporter::finish(uint64_t bytes) {
  if (callback_ != nullptr) {
    (*callback_)(file_, bytes, bytes);
    return;
  }
  if (!enabled_) return;
  if (terminal_) {
    draw(bytes, bytes, true);
  } else {
    std::fprintf(stderr, "downloaded %s (%s)\n", file_.c_str(), human(double(bytes)).c_str());
  }
}

void ProgressReporter::draw(uint64_t done, uint64_t total, bool final) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  uint64_t fresh = first_done_ == UINT64_MAX || done < first_done_ ? done : done - first_done_;
  double rate = seconds > 0 ? double(fresh) / seconds : 0;
  constexpr int kWidth = 24;
  int filled = total > 0 ? int(double(done) / double(total) * kWidth) : 0;
  std::string bar(size_t(std::min(filled, kWidth)), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%-32.32s [%s] %3d%% %s/%s %s/s\033[K%s", file_.c_str(), bar.c_str(),
               total > 0 ? int(100.0 * double(done) / double(total)) : 0, human(double(done)).c_str(),
               total > 0 ? human(double(total)).c_str() : "?", human(rate).c_str(),
               final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace transformers::hub
