/*
 * Prints what malloc_usable_size returns for requests of every size from 1
 * to MAX bytes (each block freed at once), then for the sizes given as
 * further arguments (those blocks kept to the end: freeing an mmapped
 * block would raise glibc's mmap threshold and change what later requests
 * get). The first line names the allocator that answered, found by the
 * entry points it exports, so that a library that failed to preload
 * (ld.so only warns) is not mistaken for the one asked for.
 *
 * Built and run by packages/analyzer/test/size-classes-native.test.ts under
 * each LD_PRELOADed allocator.
 *
 *   usable-size MAX [SIZE...]      one line per size: "<size> <usable>"
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

static const char *allocator(void) {
  if (dlsym(RTLD_DEFAULT, "mallctl")) return "jemalloc";
  if (dlsym(RTLD_DEFAULT, "MallocExtension_GetStats")) return "tcmalloc";
  if (dlsym(RTLD_DEFAULT, "mi_version")) return "mimalloc";
  return "glibc";
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("usage: usable-size MAX [SIZE...]\n", stderr);
    return 2;
  }
  size_t max = strtoull(argv[1], NULL, 10);
  printf("allocator %s\n", allocator());
  for (size_t size = 1; size <= max; size++) {
    void *p = malloc(size);
    if (!p) return 1;
    printf("%zu %zu\n", size, malloc_usable_size(p));
    free(p);
  }
  for (int i = 2; i < argc; i++) {
    size_t size = strtoull(argv[i], NULL, 10);
    void *p = malloc(size);
    if (!p) return 1;
    printf("%zu %zu\n", size, malloc_usable_size(p));
  }
  return 0;
}
