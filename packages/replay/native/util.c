#define _GNU_SOURCE
#include "util.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

void *region_alloc(size_t bytes) {
  if (bytes == 0) bytes = 1;
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die(EXIT_FAILURE_RUNTIME, "mmap of %zu bytes for the replayer's tables failed: %s", bytes, strerror(errno));
  return p;
}

void *region_grow(void *p, size_t old_bytes, size_t new_bytes) {
  void *q = mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE);
  if (q == MAP_FAILED) die(EXIT_FAILURE_RUNTIME, "mremap to %zu bytes for the replayer's tables failed: %s", new_bytes, strerror(errno));
  return q;
}

void region_free(void *p, size_t bytes) {
  if (p) munmap(p, bytes == 0 ? 1 : bytes);
}

void write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* the reader went away: nothing sensible left to tell it */
    }
    data += n;
    len -= (size_t)n;
  }
}

void fd_printf(int fd, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  write_all(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

size_t json_string(char *buf, size_t size, size_t len, const char *s) {
  static const char hex[] = "0123456789abcdef";
  /* Room for the closing quote and the terminator is kept at every step. */
#define PUT(c)                     \
  do {                             \
    if (len + 3 < size) buf[len++] = (c); \
  } while (0)
  PUT('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      PUT('\\');
      PUT((char)c);
    } else if (c < 0x20) {
      PUT('\\');
      PUT('u');
      PUT('0');
      PUT('0');
      PUT(hex[c >> 4]);
      PUT(hex[c & 15]);
    } else {
      PUT((char)c);
    }
  }
#undef PUT
  buf[len++] = '"';
  buf[len] = 0;
  return len;
}

void die(int status, const char *fmt, ...) {
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "heapscope-replayer: ");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) m = 0;
  size_t len = (size_t)n + ((size_t)m < sizeof buf - (size_t)n - 2 ? (size_t)m : sizeof buf - (size_t)n - 2);
  buf[len++] = '\n';
  write_all(2, buf, len);
  _exit(status);
}

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int statm_fd = -1;
static uint64_t page_bytes;

void mem_open(void) {
  page_bytes = (uint64_t)sysconf(_SC_PAGESIZE);
  statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (statm_fd < 0) die(EXIT_FAILURE_RUNTIME, "cannot open /proc/self/statm: %s", strerror(errno));
}

mem_sample_t mem_sample(void) {
  /* statm: "size resident shared text lib data dt", in pages. */
  char buf[256];
  ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) die(EXIT_FAILURE_RUNTIME, "cannot read /proc/self/statm: %s", n < 0 ? strerror(errno) : "empty");
  buf[n] = 0;
  char *end;
  uint64_t size = strtoull(buf, &end, 10);
  uint64_t resident = strtoull(end, NULL, 10);
  mem_sample_t s = {size * page_bytes, resident * page_bytes};
  return s;
}

uint64_t peak_rss_bytes(void) {
  /* VmHWM, not getrusage's ru_maxrss: the latter keeps the largest RSS of
     the process image before exec (the spawning program's), VmHWM is this
     image's own. */
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *line = strstr(buf, "\nVmHWM:");
  return line ? strtoull(line + 7, NULL, 10) * 1024u : 0;
}

const char *malloc_provider(void) {
  /* The first `malloc` in global scope is the one every call binds to: an
     LD_PRELOADed allocator's when it loaded, libc's otherwise. */
  void *sym = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info;
  if (sym && dladdr(sym, &info) && info.dli_fname) return info.dli_fname;
  return "";
}
