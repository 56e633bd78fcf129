/*
 * A broken "allocator" for the tests: malloc forwards to glibc's until
 * ABORT_AFTER_MALLOCS (an environment variable) calls have been made, then
 * aborts, as an allocator bug would. Built by the tests with the system C
 * compiler and given to the replay with --preload.
 */
#include <stdlib.h>

extern void *__libc_malloc(size_t size);

static long calls;
static long limit = -1;

void *malloc(size_t size) {
  if (limit < 0) {
    const char *v = getenv("ABORT_AFTER_MALLOCS");
    limit = v ? atol(v) : 1000;
  }
  if (++calls > limit) abort();
  return __libc_malloc(size);
}
