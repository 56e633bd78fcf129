/*
 * Launch mode (heapscope trial): runs a command once under a chosen
 * allocator and reports its wall time, CPU time, peak RSS and how it ended.
 */
#ifndef HEAPSCOPE_REPLAYER_LAUNCH_H
#define HEAPSCOPE_REPLAYER_LAUNCH_H

typedef struct {
  const char *preload;    /* LD_PRELOAD of the command, NULL for none */
  const char **env;       /* NAME=VALUE settings for the command */
  int env_count;
  int result_fd;          /* where the JSON result goes */
  char **argv;            /* the command */
} launch_options_t;

int launch_main(const launch_options_t *options);

#endif
