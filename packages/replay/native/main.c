/*
 * heapscope-replayer: the native half of @heapscope/replay.
 *
 *   heapscope-replayer replay [--single-thread] [--sample-every N] OPS|-
 *       replays an op stream (op-stream.h) against this process's allocator
 *       (run it with LD_PRELOAD=<allocator> to choose one); JSON lines on stdout
 *   heapscope-replayer launch [--preload LIB] [--env NAME=VALUE]... [--result-fd N] -- CMD [ARG]...
 *       runs CMD once under LD_PRELOAD=LIB; one JSON line on descriptor N (default 1)
 *   heapscope-replayer probe
 *       prints {"probe":{"malloc":"<file defining malloc>"}}: whether a preload took
 *
 * Exit status: 0 done; 1 runtime failure; 2 usage; 3 malformed op stream.
 * The TypeScript side (packages/replay/src) runs it; docs/replay.md is the user's view.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"
#include "replay.h"
#include "util.h"

static const char USAGE[] =
    "usage: heapscope-replayer replay [--single-thread] [--sample-every N] OPS|-\n"
    "       heapscope-replayer launch [--preload LIB] [--env NAME=VALUE]... [--result-fd N] -- CMD [ARG]...\n"
    "       heapscope-replayer probe\n";

static void usage(const char *problem) {
  if (problem) fd_printf(2, "heapscope-replayer: %s\n", problem);
  write_all(2, USAGE, sizeof USAGE - 1);
  exit(EXIT_USAGE);
}

static unsigned long long positive(const char *flag, const char *value) {
  char *end;
  if (!value || !*value) usage("an option lacks its value");
  unsigned long long v = strtoull(value, &end, 10);
  if (*end || v == 0 || value[0] == '-') {
    fd_printf(2, "heapscope-replayer: %s expects a positive integer, got \"%s\"\n", flag, value);
    exit(EXIT_USAGE);
  }
  return v;
}

static int replay_command(int argc, char **argv) {
  replay_options_t o = {NULL, 0, 100000};
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--single-thread") == 0) o.single_thread = 1;
    else if (strcmp(argv[i], "--sample-every") == 0) o.sample_every = positive("--sample-every", argv[++i]);
    else if (argv[i][0] == '-' && argv[i][1] != 0) usage("unknown replay option");
    else if (o.path) usage("one op stream only");
    else o.path = argv[i];
  }
  if (!o.path) usage("no op stream given");
  return replay_main(&o);
}

static int launch_command(int argc, char **argv) {
  launch_options_t o = {NULL, NULL, 0, 1, NULL};
  o.env = calloc((size_t)argc + 1, sizeof *o.env);
  int i = 0;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (strcmp(argv[i], "--preload") == 0 && i + 1 < argc) o.preload = argv[++i];
    else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc && strchr(argv[i + 1], '=')) o.env[o.env_count++] = argv[++i];
    else if (strcmp(argv[i], "--result-fd") == 0) o.result_fd = (int)positive("--result-fd", i + 1 < argc ? argv[++i] : NULL);
    else usage("unknown or incomplete launch option");
  }
  if (i >= argc) usage("no command after --");
  o.argv = argv + i;
  return launch_main(&o);
}

int main(int argc, char **argv) {
  if (argc < 2) usage(NULL);
  if (strcmp(argv[1], "replay") == 0) return replay_command(argc - 2, argv + 2);
  if (strcmp(argv[1], "launch") == 0) return launch_command(argc - 2, argv + 2);
  if (strcmp(argv[1], "probe") == 0) {
    char line[4200];
    size_t n = (size_t)snprintf(line, sizeof line, "{\"probe\":{\"malloc\":");
    n = json_string(line, sizeof line - 8, n, malloc_provider());
    n += (size_t)snprintf(line + n, sizeof line - n, "}}\n");
    write_all(1, line, n);
    return EXIT_OK;
  }
  usage("unknown mode");
  return EXIT_USAGE;
}
