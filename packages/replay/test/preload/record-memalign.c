/*
 * A recording "allocator" for the tests: glibc's allocator, but every
 * memalign call appends "ALIGNMENT SIZE" to the file named by
 * RECORD_MEMALIGN_TO, so that a test sees the arguments the replay passed.
 * It defines malloc too: the replay checks that the preloaded library
 * provides the malloc the process calls.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

void *malloc(size_t size) {
  return __libc_malloc(size);
}

void *memalign(size_t alignment, size_t size) {
  const char *path = getenv("RECORD_MEMALIGN_TO");
  if (path) {
    char line[64];
    int n = snprintf(line, sizeof line, "%zu %zu\n", alignment, size);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
      if (write(fd, line, (size_t)n) < 0) abort();
      close(fd);
    }
  }
  return __libc_memalign(alignment, size);
}
