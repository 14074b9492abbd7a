#pragma once
// Small file helpers shared by the writers in io/ and hub/.
#include <filesystem>
#include <string>
#include <string_view>

namespace transformers::io {

// Reads a whole file; throws Error naming it when it cannot.
std::string read_text_file(const std::filesystem::path& path);

// Writes `contents` to a temporary file beside `path`, flushes it to disk and renames it over `path`,
// so readers never see a half-written file. Throws Error naming the file.
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// Streaming form of write_file_atomic: write() any number of times, then commit(). Without
// commit() the temporary file is removed on destruction.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t size);
  void commit();

 private:
  std::filesystem::path path_, temp_;
  int fd_ = -1;
};

}  // namespace transformers::io
