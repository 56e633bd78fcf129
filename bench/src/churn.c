/*
 * Benchmark workload for bench/generate/heaptrack-10m.mjs: a long run of
 * short-lived allocations with a bounded live set, so that a recording's
 * length grows with ITERATIONS while what stays live does not.
 *
 *   churn ITERATIONS
 *
 * Iteration i frees the block in ring slot (i * 2654435761) mod 4096 and
 * allocates a new one there, of 16 + (i * 7919) mod 4001 bytes, through one
 * of three call paths (site reached from path_a, path_b, or path_c and then
 * path_a or path_b); every fifth block is freed at once (a temporary
 * allocation). About two events (one malloc, one free) per iteration.
 *
 * Build with -O1 -g -fno-omit-frame-pointer. Every function is noinline and
 * does some work after its call, so each path keeps its own return addresses.
 */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline, noclone))
#define SLOTS 4096

static volatile unsigned long sink;
static void *ring[SLOTS];

NOINLINE static void *site(unsigned long i) {
  void *p = malloc(16 + (i * 7919) % 4001);
  if (p == NULL) {
    perror("malloc");
    exit(1);
  }
  sink += 1;
  return p;
}

NOINLINE static void *path_a(unsigned long i) {
  void *p = site(i);
  sink += 2;
  return p;
}

NOINLINE static void *path_b(unsigned long i) {
  void *p = site(i);
  sink += 3;
  return p;
}

NOINLINE static void *path_c(unsigned long i) {
  void *p = (i & 1) ? path_a(i) : path_b(i);
  sink += 4;
  return p;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: churn ITERATIONS\n");
    return 2;
  }
  unsigned long n = strtoul(argv[1], NULL, 10);
  for (unsigned long i = 0; i < n; i++) {
    unsigned slot = (unsigned)((i * 2654435761u) & (SLOTS - 1));
    free(ring[slot]);
    void *p = (i % 3 == 0) ? path_a(i) : (i % 3 == 1) ? path_b(i) : path_c(i);
    if (i % 5 == 0) {
      free(p);
      p = NULL;
    }
    ring[slot] = p;
  }
  for (unsigned i = 0; i < SLOTS; i++) free(ring[i]);
  return 0;
}
