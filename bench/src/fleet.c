/*
 * Benchmark workload for bench/generate/fleet-1000.mjs: one "host" of a
 * fleet. It allocates on PATHS distinct call paths for ROUNDS rounds and
 * asks jemalloc for a heap dump (mallctl "prof.dump") after every round, so
 * a profiler that samples every allocation writes ROUNDS dumps of about
 * PATHS distinct stacks each. Every host runs the same binary (the same
 * stacks); on a leaking host (LEAK = 1) two call sites leak, elsewhere the
 * same two sites hold a steady amount.
 *
 *   fleet ROUNDS PATHS LEAK      (e.g. fleet 100 10000 1)
 *
 * Call paths as in bench/src/series.c: path p goes main -> run_round ->
 * descend(level 0) -> ... -> descend(level LEVELS) -> one leaf -> malloc;
 * at each level descend calls step_a or step_b by bit `level` of p, so every
 * path has its own return addresses. Every function is noinline.
 *
 *   p % 10   leaf           per path, every round r = 1..ROUNDS
 *   0        leak_a_site    LEAK: malloc(256), kept (+256,000 B per round
 *                           over 1,000 paths); else frees its previous block
 *                           and allocates 256 again (flat)
 *   1        leak_b_site    the same with 128 bytes (+128,000 B per round)
 *   2, 3, 4  steady_site    frees its previous block, malloc(384): flat
 *   5 .. 8   churn_site     two blocks of 64..256 bytes, freed at once
 *   9        noisy_site     keeps (37 r mod 7) blocks of 320 bytes: jumps
 *                           up and down with no trend
 *
 * Build with -O1 -g -fno-omit-frame-pointer. mallctl is looked up with
 * dlsym(RTLD_DEFAULT), so the program runs (without dumps) under any
 * allocator; under LD_PRELOAD=libjemalloc.so.2 with
 * MALLOC_CONF=prof:true,prof_accum:true,lg_prof_sample:0 every allocation
 * is sampled.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, noclone))

#define LEVELS 14
#define MAX_PATHS (1UL << LEVELS)
#define CHURN 2
#define NOISY_MAX 6

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

static volatile unsigned long sink;
static int leaking;

/* Per-path blocks: the flat one (steady, or a non-leaking leak site), the noisy ones. */
static void *held[MAX_PATHS];
static void *noisy[MAX_PATHS][NOISY_MAX];
/* Leaked blocks, kept reachable (a list through the first word). */
static void *kept;

static void *must(void *p) {
  if (p == NULL) {
    perror("malloc");
    exit(1);
  }
  return p;
}

/*
 * A leak on a leaking host; a block replaced every round elsewhere. A macro,
 * not a function: malloc must be called from the site's own frame (a helper,
 * even inlined, would be the call site of both leaks).
 */
#define LEAK_OR_HOLD(path, round, size)   \
  do {                                    \
    void *p_ = must(malloc(size));        \
    memset(p_, (round) & 0xff, (size));   \
    if (leaking) {                        \
      *(void **)p_ = kept;                \
      kept = p_;                          \
    } else {                              \
      free(held[path]);                   \
      held[path] = p_;                    \
    }                                     \
  } while (0)

NOINLINE static void leak_a_site(unsigned long path, int round) {
  LEAK_OR_HOLD(path, round, 256);
  sink += 1;
}

NOINLINE static void leak_b_site(unsigned long path, int round) {
  LEAK_OR_HOLD(path, round, 128);
  sink += 2;
}

NOINLINE static void steady_site(unsigned long path, int round) {
  free(held[path]);
  held[path] = must(malloc(384));
  memset(held[path], round & 0xff, 384);
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
    case 0: leak_a_site(path, round); break;
    case 1: leak_b_site(path, round); break;
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
  leaking = argc > 3 ? atoi(argv[3]) : 0;
  if (rounds < 1 || rounds > 10000 || paths < 10 || paths > (long)MAX_PATHS || (leaking != 0 && leaking != 1)) {
    fprintf(stderr, "usage: fleet ROUNDS (1-10000) PATHS (10-%lu) LEAK (0 or 1)\n", MAX_PATHS);
    return 2;
  }
  mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
  int dumps = 0;
  for (int r = 1; r <= rounds; r++) {
    run_round((unsigned long)paths, r);
    if (mallctl && mallctl("prof.dump", NULL, NULL, NULL, 0) == 0) dumps++;
  }
  printf("%d rounds, %ld paths, leaking %d, %d dumps\n", rounds, paths, leaking, dumps);
  return 0;
}
