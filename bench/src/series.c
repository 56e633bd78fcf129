/*
 * Benchmark workload for bench/generate/jemalloc-series-100.mjs: one process
 * that allocates on PATHS distinct call paths for ROUNDS rounds and asks
 * jemalloc for a heap dump (mallctl "prof.dump") after every round, so a
 * profiler that samples every allocation writes ROUNDS dumps of about PATHS
 * distinct stacks each, in which some call sites leak steadily, one grows
 * and then stops, some stay flat, some churn and one jumps up and down.
 *
 *   series [ROUNDS [PATHS]]      (defaults: 100 rounds, 10,000 paths)
 *
 * Call paths, as in bench/src/recursive.c: path p (0 <= p < PATHS) goes
 * main -> round -> descend(level 0) -> ... -> descend(level LEVELS) -> one
 * leaf function -> malloc.  At each level descend calls step_a when bit
 * `level` of p is set and step_b otherwise; both call descend again, from
 * different call instructions, so every path has its own return addresses.
 * LEVELS = 14 (2^14 >= PATHS).  Every function is noinline and does some
 * work after its calls, so nothing is inlined, tail-called or merged.
 *
 * The leaf is chosen by p mod 10 (so each kind has PATHS/10 paths per tenth):
 *
 *   p % 10   leaf            every round r = 1..ROUNDS, per path
 *   0        leak_site       malloc(256), never freed: +256 B per path per
 *                            round (256,000 B per round for 1,000 paths)
 *   1        plateau_site    rounds 1..PLATEAU only: malloc(512), kept (a
 *                            cache that fills, then stops growing)
 *   2, 3, 4  steady_site     frees its previous block, malloc(384): flat
 *   5 .. 8   churn_site      CHURN blocks of 64..256 bytes, each freed right
 *                            after it is written: nothing stays, allocated
 *                            bytes grow
 *   9        noisy_site      frees its previous blocks, then keeps
 *                            (37 r mod 7) blocks of 320 bytes: the site's
 *                            total jumps between 0 and 6 blocks per path,
 *                            with no trend
 *
 * After round r, the live bytes of the workload's sites are (1,000 paths per
 * kind): leak 256,000 r; plateau 512,000 min(r, PLATEAU); steady 3,000 x 384
 * = 1,152,000; churn 0; noisy 320,000 (37 r mod 7).  The leak ranks first
 * in any growth analysis: it is the only site that grows in every round.
 *
 * Build with -O1 -g -fno-omit-frame-pointer.  mallctl is looked up with
 * dlsym(RTLD_DEFAULT), so the program runs (without dumps) under any
 * allocator; under LD_PRELOAD=libjemalloc.so.2 with
 * MALLOC_CONF=prof:true,prof_accum:true,lg_prof_sample:0 every allocation is
 * sampled and every stack that ever allocated stays in the dumps.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

#define LEVELS 14
#define MAX_PATHS (1UL << LEVELS)
#define PLATEAU 20
#define CHURN 2
#define NOISY_MAX 6

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

static volatile unsigned long sink;

/* Per-path state: the steady block, and the noisy blocks. */
static void *steady[MAX_PATHS];
static void *noisy[MAX_PATHS][NOISY_MAX];

/* Leaked and plateau blocks, kept reachable (a list through the first word). */
static void *kept;

static void *must(void *p) {
  if (p == NULL) {
    perror("malloc");
    exit(1);
  }
  return p;
}

static void keep(void *p) {
  *(void **)p = kept;
  kept = p;
}

NOINLINE static void leak_site(unsigned long path, int round) {
  (void)path;
  void *p = must(malloc(256));
  memset(p, round & 0xff, 256);
  keep(p);
  sink += 1;
}

NOINLINE static void plateau_site(unsigned long path, int round) {
  (void)path;
  if (round <= PLATEAU) {
    void *p = must(malloc(512));
    memset(p, round & 0xff, 512);
    keep(p);
  }
  sink += 2;
}

NOINLINE static void steady_site(unsigned long path, int round) {
  free(steady[path]);
  steady[path] = must(malloc(384));
  memset(steady[path], round & 0xff, 384);
  sink += 3;
}

NOINLINE static void churn_site(unsigned long path, int round) {
  for (int i = 0; i < CHURN; i++) {
    size_t size = 64 + 64 * ((path + (unsigned long)round + (unsigned long)i) & 3);
    unsigned char *p = must(malloc(size));
    memset(p, (round + i) & 0xff, size);
    sink += p[size - 1];
    free(p);
  }
  sink += 4;
}

NOINLINE static void noisy_site(unsigned long path, int round) {
  int n = (37 * round) % 7;
  for (int i = 0; i < NOISY_MAX; i++) {
    free(noisy[path][i]);
    noisy[path][i] = NULL;
  }
  for (int i = 0; i < n; i++) {
    noisy[path][i] = must(malloc(320));
    memset(noisy[path][i], round & 0xff, 320);
  }
  sink += 5;
}

NOINLINE static void descend(unsigned long path, int level, int round);

NOINLINE static void step_a(unsigned long path, int level, int round) {
  descend(path, level + 1, round);
  sink += 6;
}

NOINLINE static void step_b(unsigned long path, int level, int round) {
  descend(path, level + 1, round);
  sink += 7;
}

NOINLINE static void descend(unsigned long path, int level, int round) {
  if (level == LEVELS) {
    switch (path % 10) {
    case 0: leak_site(path, round); break;
    case 1: plateau_site(path, round); break;
    case 2: case 3: case 4: steady_site(path, round); break;
    case 9: noisy_site(path, round); break;
    default: churn_site(path, round); break;
    }
  } else if ((path >> level) & 1) {
    step_a(path, level, round);
  } else {
    step_b(path, level, round);
  }
  sink += 8;
}

NOINLINE static void run_round(unsigned long paths, int round) {
  for (unsigned long p = 0; p < paths; p++) descend(p, 0, round);
  sink += 9;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  long paths = argc > 2 ? atol(argv[2]) : 10000;
  if (rounds < 1 || rounds > 10000 || paths < 10 || paths > (long)MAX_PATHS) {
    fprintf(stderr, "usage: series [ROUNDS (1-10000) [PATHS (10-%lu)]]\n", MAX_PATHS);
    return 2;
  }
  mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
  int dumps = 0;
  for (int r = 1; r <= rounds; r++) {
    run_round((unsigned long)paths, r);
    if (mallctl && mallctl("prof.dump", NULL, NULL, NULL, 0) == 0) dumps++;
  }
  printf("%d rounds, %ld paths, %d dumps\n", rounds, paths, dumps);
  return 0;
}
