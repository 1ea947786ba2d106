#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ttl {

// Images read in place from a decoded-image cache file (src/data/image-cache.ts writes it): the file is
// memory-mapped read-only and the tensor views the mapping, so a batch gather pages in only the images it
// takes and the OS, not the process, decides how much of a larger-than-memory split stays resident. Every
// process that maps the same file shares its pages. 16-bit samples are viewed as int16 (LibTorch 1.13 has
// no uint16); make_batch reads them back as unsigned. The mapping lives as long as the tensor.
torch::Tensor map_images(const std::string& file, int64_t offset, const std::vector<int64_t>& shape, int bits);

// Asks the OS to start reading the given images of a mapped tensor (madvise WILLNEED per image), so that a
// batch's page faults find them in flight or in memory. The mapping itself is marked random access: the kernel's
// readahead around each fault would read neighbours no batch asked for and, under a memory limit, evict the
// images that were read for the next batch (measured: 480 MB/s read from disk at 1 core of CPU).
void prefetch_images(const torch::Tensor& images, const torch::Tensor& indices);

}  // namespace ttl
