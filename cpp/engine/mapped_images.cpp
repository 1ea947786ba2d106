#include "engine/mapped_images.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace ttl {

torch::Tensor map_images(const std::string& file, int64_t offset, const std::vector<int64_t>& shape, int bits) {
  if (bits != 8 && bits != 16) throw Error("E_BAD_ARGUMENT", "mapped images have 8 or 16 bits per sample");
  if (offset < 0 || shape.empty()) throw Error("E_BAD_ARGUMENT", "a mapping needs an offset >= 0 and a shape");
  int64_t bytes = bits / 8;
  for (int64_t d : shape) {
    if (d < 0) throw Error("E_BAD_ARGUMENT", "a mapped shape has no negative sizes");
    bytes *= d;
  }
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("E_NO_FILE", file + ": cannot open the image cache (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < offset + bytes) {
    ::close(fd);
    throw Error("E_BAD_INPUT", file + ": the image cache is shorter than the " + std::to_string(offset + bytes) +
                                   " bytes its header describes (torn)");
  }
  // mmap's offset must be page-aligned: map from the page holding `offset` and view from inside it.
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  const int64_t start = offset / page * page;
  const size_t length = static_cast<size_t>(offset - start + std::max<int64_t>(bytes, 1));
  void* base = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, start);
  const int mmap_errno = errno;
  ::close(fd);  // the mapping keeps the file open
  if (base == MAP_FAILED) throw Error("E_BAD_INPUT", file + ": cannot map the image cache (" + std::strerror(mmap_errno) + ")");
  ::madvise(base, length, MADV_RANDOM);  // advice only: a kernel that ignores it still maps correctly
  void* data = static_cast<char*>(base) + (offset - start);
  // The tensor is only read (gathered by index); PROT_READ turns a stray write into a fault, not a corrupt cache.
  return torch::from_blob(data, shape, [base, length](void*) { ::munmap(base, length); },
                          torch::TensorOptions().dtype(bits == 8 ? torch::kUInt8 : torch::kInt16));
}

void prefetch_images(const torch::Tensor& images, const torch::Tensor& indices) {
  static const int64_t page = ::sysconf(_SC_PAGESIZE);
  const int64_t row = images.stride(0) * images.element_size();
  const auto* base = static_cast<const char*>(images.data_ptr());
  const torch::Tensor rows = indices.to(torch::kCPU, torch::kInt64).contiguous();
  for (const int64_t* i = rows.data_ptr<int64_t>(), *end = i + rows.numel(); i != end; ++i) {
    const auto first = reinterpret_cast<uintptr_t>(base + *i * row);
    const uintptr_t aligned = first / page * page;
    ::madvise(reinterpret_cast<void*>(aligned), first - aligned + row, MADV_WILLNEED);
  }
}

}  // namespace ttl
