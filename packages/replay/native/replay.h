/*
 * Replay mode: the op stream's operations run against the process's
 * allocator (whatever LD_PRELOAD put first), each trace thread on a thread
 * of its own (or all on one with `single_thread`); samples of RSS, VA and
 * the trace's live bytes go to standard output as JSON lines (see replay.c).
 */
#ifndef HEAPSCOPE_REPLAYER_REPLAY_H
#define HEAPSCOPE_REPLAYER_REPLAY_H

#include <stdint.h>

typedef struct {
  const char *path; /* op stream, "-" = standard input */
  int single_thread;
  uint64_t sample_every; /* operations between samples */
} replay_options_t;

int replay_main(const replay_options_t *options);

#endif
