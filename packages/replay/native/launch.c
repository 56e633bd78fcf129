/*
 * Launch mode: fork, exec the command with its own environment (LD_PRELOAD
 * set to the allocator under trial, or removed for the system allocator, plus
 * the allocator's tuning variables), wait4 for it, and print one line on the
 * result descriptor:
 *
 *   {"launch":{"wallNs":N,"userNs":N,"systemNs":N,"maxRss":BYTES,"exitCode":N|null,"signal":N|null}}
 *   {"launch":{"error":"exec: <reason>"}}        the command could not be started
 *
 * Wall time runs from just before fork to wait4's return; maxRss is the
 * child's ru_maxrss. The child shares the launcher's standard streams; the
 * result descriptor, unless it is one of those, is closed in it. The child is killed if the launcher
 * dies (PR_SET_PDEATHSIG), so an interrupted trial leaves nothing running.
 */
#define _GNU_SOURCE
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

/* Whether `entry` (NAME=VALUE) sets variable `name` (NAME=…). */
static int sets(const char *entry, const char *name) {
  size_t n = strcspn(name, "=");
  return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* The command's environment: ours without LD_PRELOAD and without the variables `options` sets, then theirs. */
static char **child_environment(const launch_options_t *o) {
  size_t count = 0;
  while (environ[count]) count++;
  char **env = region_alloc((count + (size_t)o->env_count + 2) * sizeof *env);
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    int replaced = sets(environ[i], "LD_PRELOAD=");
    for (int j = 0; j < o->env_count && !replaced; j++) replaced = sets(environ[i], o->env[j]);
    if (!replaced) env[n++] = environ[i];
  }
  if (o->preload) {
    size_t len = strlen(o->preload);
    char *entry = region_alloc(len + sizeof "LD_PRELOAD=");
    memcpy(entry, "LD_PRELOAD=", sizeof "LD_PRELOAD=" - 1);
    memcpy(entry + sizeof "LD_PRELOAD=" - 1, o->preload, len + 1);
    env[n++] = entry;
  }
  for (int j = 0; j < o->env_count; j++) env[n++] = (char *)o->env[j];
  env[n] = NULL;
  return env;
}

static uint64_t tv_ns(struct timeval tv) {
  return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

int launch_main(const launch_options_t *o) {
  char **env = child_environment(o);
  /* The exec's outcome: nothing arrives on this pipe when exec succeeds (close on exec). */
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) die(EXIT_FAILURE_RUNTIME, "pipe: %s", strerror(errno));
  /* A result descriptor of its own is not the command's business; the standard ones are shared. */
  if (o->result_fd > 2 && fcntl(o->result_fd, F_SETFD, FD_CLOEXEC) != 0) die(EXIT_USAGE, "result descriptor %d: %s", o->result_fd, strerror(errno));
  pid_t parent = getpid();

  uint64_t start = now_ns();
  pid_t pid = fork();
  if (pid < 0) die(EXIT_FAILURE_RUNTIME, "fork: %s", strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127); /* the launcher died before prctl */
    execvpe(o->argv[0], o->argv, env);
    int e = errno;
    write_all(status_pipe[1], (const char *)&e, sizeof e);
    _exit(127);
  }
  close(status_pipe[1]);
  int exec_errno = 0;
  ssize_t got;
  do got = read(status_pipe[0], &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);

  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  pid_t w;
  do w = wait4(pid, &status, 0, &ru);
  while (w < 0 && errno == EINTR);
  uint64_t wall = now_ns() - start;
  if (w < 0) die(EXIT_FAILURE_RUNTIME, "wait4: %s", strerror(errno));

  char line[1024];
  size_t n;
  if (got == (ssize_t)sizeof exec_errno) {
    char reason[512];
    snprintf(reason, sizeof reason, "exec %s: %s", o->argv[0], strerror(exec_errno));
    n = (size_t)snprintf(line, sizeof line, "{\"launch\":{\"error\":");
    n = json_string(line, sizeof line - 8, n, reason);
    n += (size_t)snprintf(line + n, sizeof line - n, "}}\n");
  } else {
    char code[24] = "null", sig[24] = "null";
    if (WIFEXITED(status)) snprintf(code, sizeof code, "%d", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) snprintf(sig, sizeof sig, "%d", WTERMSIG(status));
    n = (size_t)snprintf(line, sizeof line,
                         "{\"launch\":{\"wallNs\":%llu,\"userNs\":%llu,\"systemNs\":%llu,\"maxRss\":%llu,\"exitCode\":%s,\"signal\":%s}}\n",
                         (unsigned long long)wall, (unsigned long long)tv_ns(ru.ru_utime),
                         (unsigned long long)tv_ns(ru.ru_stime), (unsigned long long)ru.ru_maxrss * 1024u, code, sig);
  }
  write_all(o->result_fd, line, n);
  return EXIT_OK;
}
