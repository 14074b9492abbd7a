#include "transformers/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "transformers/core/error.h"

namespace transformers::io {

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  TFM_CHECK(fd >= 0, "[io] cannot open ", path.string(), ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    TFM_CHECK(false, "[io] ", path.string(), " is not a regular file",
              err ? std::string(": ") + std::strerror(err) : std::string());
  }
  size_t size = size_t(st.st_size);
  const std::byte* data = nullptr;
  if (size > 0) {
    // MAP_PRIVATE + PROT_READ: pages come from the page cache and are shared across processes.
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    TFM_CHECK(p != MAP_FAILED, "[io] cannot map ", path.string(), ": ", std::strerror(err));
    data = static_cast<const std::byte*>(p);
  } else {
    ::close(fd);
  }
  return std::shared_ptr<const MappedFile>(new MappedFile(data, size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
}

}  // namespace transformers::io
