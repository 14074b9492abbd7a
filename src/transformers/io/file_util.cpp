#include "transformers/io/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "transformers/core/error.h"

namespace transformers::io {

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  TFM_CHECK(in.good(), "[io] cannot read ", path.string(), ": ", std::strerror(errno));
  std::error_code ec;
  const uintmax_t size = std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path, ec) : 0;
  if (!ec && size > 0) {
    // One read of the file's size: copying through a stringstream takes twice as long on a
    // 33 MB tokenizer.json. Files that report no size (pipes, /proc) are streamed below.
    std::string text(size_t(size), '\0');
    in.read(text.data(), std::streamsize(text.size()));
    TFM_CHECK(in.gcount() == std::streamsize(text.size()), "[io] error while reading ", path.string());
    return text;
  }
  std::ostringstream ss;  // a pipe or other stream without a size
  ss << in.rdbuf();
  TFM_CHECK(!in.bad(), "[io] error while reading ", path.string());
  return ss.str();
}

namespace {
std::atomic<unsigned> temp_counter{0};
}

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path) : path_(std::move(path)) {
  // Same folder as the target, so the final rename stays within one filesystem.
  temp_ = path_;
  temp_ += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(temp_counter++);
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  TFM_CHECK(fd_ >= 0, "[io] cannot create ", temp_.string(), ": ", std::strerror(errno));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
}

void AtomicFileWriter::write(const void* data, size_t size) {
  TFM_CHECK(fd_ >= 0, "[io] write to ", path_.string(), " after commit");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    TFM_CHECK(n > 0, "[io] cannot write ", temp_.string(), ": ", std::strerror(errno));
    p += n;
    size -= size_t(n);
  }
}

void AtomicFileWriter::commit() {
  TFM_CHECK(fd_ >= 0, "[io] ", path_.string(), " committed twice");
  int fd = fd_;
  fd_ = -1;
  int err = 0;
  if (::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp_.c_str(), path_.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp_.c_str());
    TFM_CHECK(false, "[io] cannot write ", path_.string(), ": ", std::strerror(err));
  }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  AtomicFileWriter writer(path);
  writer.write(contents.data(), contents.size());
  writer.commit();
}

}  // namespace transformers::io
