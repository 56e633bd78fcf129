/*
 * Helpers of heapscope-replayer that never call the allocator under test:
 * memory comes from mmap, output goes through write(2) from stack buffers,
 * numbers are printed without floating point. Everything the replayer holds
 * for itself is thus outside the heap it measures.
 */
#ifndef HEAPSCOPE_REPLAYER_UTIL_H
#define HEAPSCOPE_REPLAYER_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses of the replayer (the child's status in launch mode is reported, not returned). */
enum { EXIT_OK = 0, EXIT_FAILURE_RUNTIME = 1, EXIT_USAGE = 2, EXIT_BAD_STREAM = 3 };

/* Zeroed memory from mmap; exits with a message when the kernel refuses. */
void *region_alloc(size_t bytes);
/* Grows a region (contents kept, the new part zeroed); it may move. */
void *region_grow(void *p, size_t old_bytes, size_t new_bytes);
void region_free(void *p, size_t bytes);

/* Writes all of `len` bytes to `fd` (retrying short writes and EINTR). */
void write_all(int fd, const char *data, size_t len);
/* printf to `fd` through a stack buffer (lines up to 4 KiB; no %f). */
void fd_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal (quotes included) to `buf` of `size`; returns the new length. */
size_t json_string(char *buf, size_t size, size_t len, const char *s);

/* "heapscope-replayer: <message>" on stderr, then exit(status). */
void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* CLOCK_MONOTONIC in ns. */
uint64_t now_ns(void);

/* The process's virtual size and resident set (bytes), from /proc/self/statm. */
typedef struct {
  uint64_t va_bytes;
  uint64_t rss_bytes;
} mem_sample_t;
void mem_open(void);
mem_sample_t mem_sample(void);
/* Peak resident set of this process (VmHWM), in bytes; 0 when unknown. */
uint64_t peak_rss_bytes(void);

/* The file that defines the `malloc` this process calls ("" when unknown). */
const char *malloc_provider(void);

#endif
