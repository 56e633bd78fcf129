/*
 * Benchmark workload for bench/generate/jemalloc-32k.mjs and
 * bench/generate/gperftools-32k.mjs: allocates on 2^LEVELS distinct call
 * paths, so a heap profiler that samples every allocation records 2^LEVELS
 * distinct stacks.
 *
 *   recursive [LEVELS [PREFIX [forget]]]   (defaults: 15 levels, no prefix)
 *
 * Path p (0 <= p < 2^LEVELS) goes through main -> pad (PREFIX times) ->
 * descend(level 0) -> ... -> descend(level LEVELS) -> one of four leaf_*
 * functions -> malloc.  At each level, descend calls step_a when bit `level`
 * of p is set and step_b otherwise; both call descend again.  step_a and
 * step_b are different functions reached through different call
 * instructions, so every path has its own sequence of return addresses.
 *
 * Build with -O1 -g -fno-omit-frame-pointer.  Every function is noinline
 * and does some work after its call (a store to a volatile), so the compiler
 * can neither inline, tail-call nor merge the two branches.  Nothing is
 * freed: every block is live when jemalloc writes its final dump.
 *
 * With `forget`, the program frees its array of block pointers before it
 * returns, so no block is reachable any more: gperftools' heap
 * checker (HEAPCHECK=normal) then reports every block as leaked and writes
 * them all to its end-of-program heap profile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

static volatile unsigned long sink;
static void **blocks;
static unsigned long nblocks;

static void keep(void *p) {
  if (p == NULL) {
    perror("malloc");
    exit(1);
  }
  blocks[nblocks++] = p;
}

/* Four leaves with different sizes, so the profile has more than one site. */
NOINLINE static void leaf_small(unsigned long path) {
  keep(malloc(16 + (path & 7) * 8));
  sink += 1;
}

NOINLINE static void leaf_medium(unsigned long path) {
  keep(malloc(256 + (path & 15) * 16));
  sink += 2;
}

NOINLINE static void leaf_large(unsigned long path) {
  keep(malloc(1024 + (path & 3) * 512));
  sink += 3;
}

/* Two blocks from one call instruction: one stack with two objects.  The
 * count is read from a volatile so the loop cannot be unrolled into two
 * call instructions (two stacks). */
static volatile int pair_count = 2;

NOINLINE static void leaf_pair(unsigned long path) {
  for (int i = 0; i < pair_count; i++)
    keep(malloc(96 + (path & 1) * 32));
  sink += 4;
}

NOINLINE static void descend(unsigned long path, int level, int levels);

NOINLINE static void step_a(unsigned long path, int level, int levels) {
  descend(path, level + 1, levels);
  sink += 5;
}

NOINLINE static void step_b(unsigned long path, int level, int levels) {
  descend(path, level + 1, levels);
  sink += 6;
}

NOINLINE static void descend(unsigned long path, int level, int levels) {
  if (level == levels) {
    switch ((path >> levels) & 3) {
    case 0: leaf_small(path); break;
    case 1: leaf_medium(path); break;
    case 2: leaf_large(path); break;
    default: leaf_pair(path); break;
    }
  } else if ((path >> level) & 1) {
    step_a(path, level, levels);
  } else {
    step_b(path, level, levels);
  }
  sink += 7;
}

/* A fixed run of identical frames before the branching part: makes every
 * stack longer (and the dump bigger) without adding stacks. */
NOINLINE static void pad(unsigned long path, int depth, int levels) {
  if (depth > 0)
    pad(path, depth - 1, levels);
  else
    descend(path, 0, levels);
  sink += 8;
}

int main(int argc, char **argv) {
  int levels = argc > 1 ? atoi(argv[1]) : 15;
  int prefix = argc > 2 ? atoi(argv[2]) : 0;
  int forget = argc > 3 && strcmp(argv[3], "forget") == 0;
  if (levels < 1 || levels > 24 || prefix < 0 || prefix > 200 || argc > 4 || (argc > 3 && !forget)) {
    fprintf(stderr, "usage: recursive [LEVELS (1-24) [PREFIX (0-200) [forget]]]\n");
    return 2;
  }
  unsigned long paths = 1UL << levels;
  blocks = calloc(paths * 2, sizeof *blocks);
  if (blocks == NULL) {
    perror("calloc");
    return 1;
  }
  /* The leaf is chosen by the two bits above the path bits: spread them
   * over the paths with a multiplicative hash so each leaf gets ~1/4. */
  for (unsigned long p = 0; p < paths; p++) {
    unsigned long leafBits = ((p * 2654435761UL) >> 20) & 3;
    pad(p | (leafBits << levels), prefix, levels);
  }
  printf("%lu paths, %lu blocks\n", paths, nblocks);
  /* The heap checker ends a leaking program with _exit(1): flush first. */
  fflush(stdout);
  if (forget) {
    free(blocks);
    blocks = NULL;
  }
  return 0;
}
