/*
 * The replay: one dispatcher (the main thread) reads the op stream, keeps
 * the trace's books and hands each operation to the replay thread of its
 * trace thread; the replay threads call the allocator.
 *
 * The dispatcher maps trace pointers to slots (ptr-map.c); a slot holds the
 * live pointer the replay got for that block, and a realloc keeps its
 * block's slot. It also counts the trace's own live bytes after every
 * operation, in trace order: that count depends on the trace alone, and
 * heapscope's analysis of the same trace must find the same peak and final
 * values (the package's tests check it).
 *
 * Order and concurrency (threads mode). Operations are handed out in trace
 * order; each replay thread runs its own in that order. A free or realloc
 * waits until the previous operation on its block, which may be another
 * thread's, has finished; nothing else is serialized (a freed slot is
 * reused only once its free has run, so that a new block never waits for
 * an unrelated one). The trace has no usable timing, so
 * threads run as concurrently as the machine lets them: the worst case for
 * the allocator's locks, not the process's real interleaving.
 *
 * Each replay thread has a ring of tasks (single producer, single consumer)
 * and a `done` counter of tasks finished; a task's dependency is a (thread,
 * count) pair. Threads that wait spin briefly, then sleep on a futex; a
 * sleeping replay thread is woken when a batch of tasks waits for it, or
 * when another thread (or a sample) needs one of its tasks done. Threads
 * thus run in short bursts of their own operations rather than switching
 * at every operation, much as a scheduler time-slices real threads.
 *
 * Measurements: every operation is timed on its own (the call, plus writing
 * one byte per page of the new block so that it is resident, as a real
 * program would touch it); `sample_every` operations, the dispatcher waits
 * for every replay thread to catch up, then samples /proc/self/statm.
 *
 * Output, one JSON object per line on stdout:
 *   {"start":{"malloc":"<file defining malloc>","mode":"threads"|"single-thread","sampleEvery":N}}
 *   {"sample":[ops,rssBytes,vaBytes,liveBytes]}      at 0 ops, every N, and at the end
 *   {"result":{...}}                                   counts and times, at the end of replay_main
 * What cannot be reproduced is counted, never fatal: frees and reallocs of
 * pointers the trace never allocated, allocations of a pointer that is
 * still live (the trace lost its free: the old block is freed first), and
 * allocations the allocator refused (NULL, e.g. sizes beyond the address
 * space).
 */
#define _GNU_SOURCE
#include "replay.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "op-stream.h"
#include "ptr-map.h"
#include "util.h"

/* What a replay thread does with a slot. */
enum { T_MALLOC, T_CALLOC, T_MEMALIGN, T_REALLOC, T_FREE, T_FREE_NULL, T_EXIT };

/* No slot (free(NULL), thread exit). */
#define NO_SLOT UINT32_MAX

typedef struct worker worker_t;

typedef struct {
  uint8_t kind;
  uint32_t slot;
  worker_t *dep;     /* NULL: no dependency */
  uint64_t dep_done; /* ...else wait until `dep` has finished this many tasks */
  uint64_t size;
  uint64_t align;
} task_t;

/* Tasks queued per replay thread: enough to keep it busy between handoffs. */
#define RING 1024u
/* Tasks queued on a sleeping replay thread before the dispatcher wakes it. */
#define WAKE_BATCH 64u
/* Busy-wait rounds before sleeping (a handoff is usually a few µs away). */
#define SPIN 200
/* memalign's alignment when the trace did not record it: max_align_t's. */
#define DEFAULT_ALIGN 16
/* Replay threads only call the allocator: a small stack is plenty. */
#define STACK_BYTES (256u * 1024u)
/* No one waits. */
#define NO_TARGET UINT64_MAX

struct worker {
  /* Written by the dispatcher, read by the replay thread. */
  _Alignas(64) _Atomic uint32_t head; /* tasks queued so far, modulo 2^32 */
  _Atomic uint32_t sleeping;          /* the replay thread sleeps on `head` */
  /* Written by the replay thread. */
  _Alignas(64) _Atomic uint64_t done; /* tasks finished so far */
  /* Threads waiting for `done` (replay threads with a dependency, the
     dispatcher) sleep on `wake_seq`; `wake_at` is the smallest `done` one
     of them waits for, so that the replay thread wakes them only then. */
  _Alignas(64) _Atomic uint32_t wake_seq;
  _Atomic uint32_t waiters;
  _Atomic uint64_t wake_at;
  atomic_flag lock; /* guards registrations in `wake_at` */
  /* The replay thread's counters, added when it exits (read after joining). */
  _Alignas(64) uint64_t op_ns;
  uint64_t failed;
  /* Dispatcher-only. */
  uint64_t queued; /* tasks queued so far (`head` is its low half) */
  int started;     /* a thread runs (or ran and was not joined yet) */
  pthread_t thread;
  task_t *ring;
};

/* Counters of the side that calls the allocator. */
typedef struct {
  uint64_t op_ns;
  uint64_t failed;
} exec_stats_t;

static size_t page_size;
/* The live pointer of every slot; a slot is touched only by its block's operations, in order. */
static void **slot_ptr;

static long futex(_Atomic uint32_t *addr, int op, uint32_t val) {
  return syscall(SYS_futex, (uint32_t *)addr, op, val, NULL, NULL, 0);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void lock(worker_t *w) {
  while (atomic_flag_test_and_set(&w->lock)) cpu_relax();
}

static void unlock(worker_t *w) {
  atomic_flag_clear(&w->lock);
}

/* Wakes `w`'s replay thread if it sleeps (it has tasks: whoever calls this waits for one). */
static void wake_worker(worker_t *w) {
  if (atomic_exchange(&w->sleeping, 0)) futex(&w->head, FUTEX_WAKE_PRIVATE, 1);
}

/* Waits until `w` has finished `target` tasks (tasks already queued on it). */
static void wait_done(worker_t *w, uint64_t target) {
  for (int i = 0; i < SPIN; i++) {
    if (atomic_load(&w->done) >= target) return;
    cpu_relax();
  }
  while (atomic_load(&w->done) < target) {
    lock(w);
    atomic_fetch_add(&w->waiters, 1);
    if (target < atomic_load(&w->wake_at)) atomic_store(&w->wake_at, target);
    uint32_t seq = atomic_load(&w->wake_seq);
    unlock(w);
    /* `w` may sleep on tasks the dispatcher did not wake it for yet (see submit). */
    wake_worker(w);
    /* Either `w` sees this registration after finishing a task, or this sees the task finished. */
    if (atomic_load(&w->done) < target) futex(&w->wake_seq, FUTEX_WAIT_PRIVATE, seq);
    atomic_fetch_sub(&w->waiters, 1);
  }
}

/* After finishing a task: wakes the waiters once the smallest target is reached. They register again if theirs is not. */
static void wake_waiters(worker_t *w, uint64_t done) {
  if (atomic_load(&w->waiters) == 0 || done < atomic_load(&w->wake_at)) return;
  lock(w);
  atomic_store(&w->wake_at, NO_TARGET);
  atomic_fetch_add(&w->wake_seq, 1);
  unlock(w);
  futex(&w->wake_seq, FUTEX_WAKE_PRIVATE, INT_MAX);
}

/* Makes one byte per page of a new block resident, and its last byte. */
static inline void touch(void *p, size_t size) {
  volatile char *c = p;
  for (size_t i = 0; i < size; i += page_size) c[i] = 1;
  if (size > 0) c[size - 1] = 1;
}

/* Calls the allocator for one task, timing the call and the touch. */
static void run_task(const task_t *t, exec_stats_t *st) {
  if (t->kind == T_FREE_NULL) {
    uint64_t start = now_ns();
    free(NULL);
    st->op_ns += now_ns() - start;
    return;
  }
  if (t->kind == T_FREE) {
    uint64_t start = now_ns();
    free(slot_ptr[t->slot]);
    st->op_ns += now_ns() - start;
    slot_ptr[t->slot] = NULL;
    return;
  }
  if (t->size > SIZE_MAX) {
    /* Beyond this machine's size_t: the allocator could only refuse. */
    st->failed++;
    if (t->kind != T_REALLOC) slot_ptr[t->slot] = NULL;
    return;
  }
  size_t size = (size_t)t->size;
  uint64_t start = now_ns();
  void *p;
  switch (t->kind) {
    case T_MALLOC:
      p = malloc(size);
      break;
    case T_CALLOC:
      p = calloc(1, size);
      break;
    case T_MEMALIGN:
      p = memalign(t->align ? (size_t)t->align : DEFAULT_ALIGN, size);
      break;
    default: /* T_REALLOC */
      p = realloc(slot_ptr[t->slot], size);
      break;
  }
  if (p) touch(p, size);
  st->op_ns += now_ns() - start;
  if (!p && size > 0) {
    /* Refused (NULL). A refused realloc leaves the old block where it was. */
    st->failed++;
    if (t->kind == T_REALLOC) return;
  }
  slot_ptr[t->slot] = p;
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  exec_stats_t st = {0, 0};
  uint64_t next = atomic_load(&w->done);
  for (;;) {
    int spins = 0;
    while (atomic_load(&w->head) == (uint32_t)next) {
      if (spins++ < SPIN) {
        cpu_relax();
        continue;
      }
      atomic_store(&w->sleeping, 1);
      if (atomic_load(&w->head) == (uint32_t)next) futex(&w->head, FUTEX_WAIT_PRIVATE, (uint32_t)next);
      atomic_store(&w->sleeping, 0);
      spins = 0;
    }
    const task_t *t = &w->ring[next % RING];
    if (t->dep) wait_done(t->dep, t->dep_done);
    int exiting = t->kind == T_EXIT;
    if (exiting) {
      w->op_ns += st.op_ns;
      w->failed += st.failed;
    } else {
      run_task(t, &st);
    }
    atomic_store(&w->done, ++next);
    wake_waiters(w, next);
    if (exiting) return NULL;
  }
}

/* The dispatcher's state. */
typedef struct {
  const replay_options_t *opt;
  ptr_map_t map;
  /* Slots: dispatcher-side books beside the shared `slot_ptr`. */
  size_t slot_cap;
  uint32_t slot_count;
  uint64_t *slot_size;
  worker_t **slot_worker; /* the worker of the slot's last task */
  uint64_t *slot_done;    /* ...and its `done` count once that task finished */
  /* Freed slots, oldest first (a ring of slot_cap entries). In threads mode
     a slot is reused only once its free has run: reusing it earlier would
     make the new block's allocation wait for another thread's free, an
     order the trace never asked for. */
  uint32_t *free_slots;
  size_t free_head, free_count;
  /* Replay threads. */
  worker_t **by_thread; /* trace thread id → its worker while it runs */
  size_t thread_cap;
  worker_t **workers; /* every worker made (they never move nor go away) */
  size_t worker_count, worker_cap;
  worker_t **idle; /* workers whose thread was told to exit, to reuse */
  size_t idle_count;
  size_t running, max_running;
  uint64_t threads_seen;
  /* The trace's books. */
  uint64_t ops, live_bytes, peak_live_bytes, live_blocks, peak_live_blocks;
  uint64_t unknown_frees, unknown_reallocs, implicit_frees;
  /* Single-thread mode: the dispatcher calls the allocator itself. */
  exec_stats_t inline_stats;
} replay_t;

/* Grows an mmap'd array of `*cap` elements of `elem` bytes to at least `need`. */
static void *grow_array(void *p, size_t elem, size_t *cap, size_t need) {
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  if (c == *cap) return p;
  void *q = p ? region_grow(p, *cap * elem, c * elem) : region_alloc(c * elem);
  *cap = c;
  return q;
}

/* Waits until every replay thread has finished every task it was given. */
static void quiesce(replay_t *r) {
  for (size_t i = 0; i < r->worker_count; i++) {
    worker_t *w = r->workers[i];
    if (w->started) wait_done(w, w->queued);
  }
}

/* Queues a freed slot for reuse. */
static void release_slot(replay_t *r, uint32_t slot) {
  r->free_slots[(r->free_head + r->free_count++) & (r->slot_cap - 1)] = slot;
}

static uint32_t new_slot(replay_t *r) {
  if (r->free_count > 0) {
    uint32_t s = r->free_slots[r->free_head];
    worker_t *last = r->slot_worker[s];
    if (!last || atomic_load(&last->done) >= r->slot_done[s]) {
      r->free_head = (r->free_head + 1) & (r->slot_cap - 1);
      r->free_count--;
      r->slot_worker[s] = NULL; /* its last task is done: nothing to wait for */
      return s;
    }
  }
  if (r->slot_count == r->slot_cap) {
    /* Replay threads read `slot_ptr`: none may run while it moves. */
    quiesce(r);
    size_t old = r->slot_cap, c;
    c = old;
    slot_ptr = grow_array(slot_ptr, sizeof *slot_ptr, &c, old + 1);
    c = old;
    r->slot_size = grow_array(r->slot_size, sizeof *r->slot_size, &c, old + 1);
    c = old;
    r->slot_worker = grow_array(r->slot_worker, sizeof *r->slot_worker, &c, old + 1);
    c = old;
    r->slot_done = grow_array(r->slot_done, sizeof *r->slot_done, &c, old + 1);
    c = old;
    r->free_slots = grow_array(r->free_slots, sizeof *r->free_slots, &c, old + 1);
    /* The ring's wrapped part moves to the new half: entries stay in order. */
    size_t head_part = old - r->free_head;
    if (r->free_count > head_part) memcpy(r->free_slots + old, r->free_slots, (r->free_count - head_part) * sizeof *r->free_slots);
    r->slot_cap = c;
  }
  return r->slot_count++;
}

static void start_worker(replay_t *r, worker_t *w) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, STACK_BYTES);
  int e = pthread_create(&w->thread, &attr, worker_main, w);
  pthread_attr_destroy(&attr);
  if (e != 0) die(EXIT_FAILURE_RUNTIME, "cannot start a replay thread (%zu running): %s", r->running, strerror(e));
  w->started = 1;
  if (++r->running > r->max_running) r->max_running = r->running;
}

static void join_worker(worker_t *w) {
  pthread_join(w->thread, NULL);
  w->started = 0;
}

/* The worker of trace thread `id`, started when the thread first appears. */
static worker_t *worker_for(replay_t *r, uint32_t id) {
  if (id >= r->thread_cap) r->by_thread = grow_array(r->by_thread, sizeof *r->by_thread, &r->thread_cap, (size_t)id + 1);
  worker_t *w = r->by_thread[id];
  if (w) return w;
  if (r->idle_count > 0) {
    w = r->idle[--r->idle_count];
    join_worker(w);
  } else {
    size_t cap = r->worker_cap;
    r->workers = grow_array(r->workers, sizeof *r->workers, &cap, r->worker_count + 1);
    r->idle = grow_array(r->idle, sizeof *r->idle, &r->worker_cap, r->worker_count + 1);
    w = region_alloc(sizeof *w);
    w->ring = region_alloc(RING * sizeof *w->ring);
    atomic_store(&w->wake_at, NO_TARGET);
    r->workers[r->worker_count++] = w;
  }
  start_worker(r, w);
  r->by_thread[id] = w;
  r->threads_seen++;
  return w;
}

/* Queues (or, in single-thread mode, runs) one task on `slot` for trace thread `thread`. */
static void submit(replay_t *r, uint32_t thread, uint8_t kind, uint32_t slot, uint64_t size, uint64_t align) {
  task_t t = {kind, slot, NULL, 0, size, align};
  if (r->opt->single_thread) {
    run_task(&t, &r->inline_stats);
    return;
  }
  worker_t *w = worker_for(r, thread);
  if (slot != NO_SLOT && r->slot_worker[slot] && r->slot_worker[slot] != w) {
    t.dep = r->slot_worker[slot];
    t.dep_done = r->slot_done[slot];
  }
  /* A full ring: wait until half of it is free, not for every task. */
  if (w->queued - atomic_load(&w->done) >= RING) wait_done(w, w->queued - RING / 2);
  w->ring[w->queued % RING] = t;
  atomic_store(&w->head, (uint32_t)++w->queued);
  /* A sleeping thread is woken once it has a batch of work, not for every
     task: a wake is a system call and a context switch, dearer than most
     allocator calls. Whoever needs its tasks done sooner wakes it (wait_done). */
  if (w->queued - atomic_load(&w->done) >= WAKE_BATCH) wake_worker(w);
  if (slot != NO_SLOT) {
    r->slot_worker[slot] = w;
    r->slot_done[slot] = w->queued;
  }
}

/* Trace thread `id` exited: so does its replay thread, once its tasks are done. */
static void thread_done(replay_t *r, uint32_t id) {
  if (r->opt->single_thread || id >= r->thread_cap || !r->by_thread[id]) return;
  worker_t *w = r->by_thread[id];
  submit(r, id, T_EXIT, NO_SLOT, 0, 0);
  /* It must get there without waiting for a batch: it will be joined. */
  wake_worker(w);
  r->by_thread[id] = NULL;
  r->idle[r->idle_count++] = w;
  r->running--;
}

static void add_live(replay_t *r, uint32_t slot, uint64_t size) {
  r->slot_size[slot] = size;
  r->live_bytes += size;
  r->live_blocks++;
}

static void drop_live(replay_t *r, uint32_t slot) {
  r->live_bytes -= r->slot_size[slot];
  r->live_blocks--;
}

/* The trace allocated at `ptr` while a block there was live: its free was lost, so that block is freed first. */
static void free_if_live(replay_t *r, uint32_t thread, uint64_t ptr) {
  int64_t s = ptr_map_remove(&r->map, ptr);
  if (s < 0) return;
  r->implicit_frees++;
  drop_live(r, (uint32_t)s);
  submit(r, thread, T_FREE, (uint32_t)s, 0, 0);
  release_slot(r, (uint32_t)s);
}

static void replay_op(replay_t *r, const op_t *op) {
  static const uint8_t kinds[] = {T_MALLOC, T_CALLOC, T_MEMALIGN};
  switch (op->op) {
    case OP_MALLOC:
    case OP_CALLOC:
    case OP_MEMALIGN: {
      free_if_live(r, op->thread, op->ptr);
      uint32_t s = new_slot(r);
      ptr_map_put(&r->map, op->ptr, s);
      add_live(r, s, op->size);
      submit(r, op->thread, kinds[op->op], s, op->size, op->align);
      break;
    }
    case OP_REALLOC: {
      int64_t s = op->old ? ptr_map_remove(&r->map, op->old) : -1;
      if (s >= 0) {
        drop_live(r, (uint32_t)s);
      } else {
        /* realloc(NULL, n), or of a pointer the trace never allocated: replayed as realloc(NULL, n). */
        if (op->old) r->unknown_reallocs++;
        s = new_slot(r);
      }
      free_if_live(r, op->thread, op->ptr);
      ptr_map_put(&r->map, op->ptr, (uint32_t)s);
      add_live(r, (uint32_t)s, op->size);
      submit(r, op->thread, T_REALLOC, (uint32_t)s, op->size, 0);
      break;
    }
    default: { /* OP_FREE */
      if (op->ptr == 0) {
        submit(r, op->thread, T_FREE_NULL, NO_SLOT, 0, 0);
        break;
      }
      int64_t s = ptr_map_remove(&r->map, op->ptr);
      if (s < 0) {
        r->unknown_frees++;
        break;
      }
      drop_live(r, (uint32_t)s);
      submit(r, op->thread, T_FREE, (uint32_t)s, 0, 0);
      release_slot(r, (uint32_t)s);
      break;
    }
  }
  r->ops++;
  if (r->live_bytes > r->peak_live_bytes) r->peak_live_bytes = r->live_bytes;
  if (r->live_blocks > r->peak_live_blocks) r->peak_live_blocks = r->live_blocks;
}

static void sample(replay_t *r) {
  quiesce(r);
  mem_sample_t m = mem_sample();
  fd_printf(1, "{\"sample\":[%llu,%llu,%llu,%llu]}\n", (unsigned long long)r->ops, (unsigned long long)m.rss_bytes,
            (unsigned long long)m.va_bytes, (unsigned long long)r->live_bytes);
}

int replay_main(const replay_options_t *options) {
  replay_t r;
  memset(&r, 0, sizeof r);
  r.opt = options;
  page_size = (size_t)sysconf(_SC_PAGESIZE);
  mem_open();
  op_reader_t reader;
  op_reader_open(&reader, options->path);

  /* Tables made (and touched) before the first sample, so that the
     baseline holds them: 64 Ki blocks before the first growth. */
  ptr_map_init(&r.map, 1u << 16);
  {
    size_t c = 0;
    slot_ptr = grow_array(NULL, sizeof *slot_ptr, &c, 1u << 16);
    size_t cap = 0;
    r.slot_size = grow_array(NULL, sizeof *r.slot_size, &cap, c);
    cap = 0;
    r.slot_worker = grow_array(NULL, sizeof *r.slot_worker, &cap, c);
    cap = 0;
    r.slot_done = grow_array(NULL, sizeof *r.slot_done, &cap, c);
    cap = 0;
    r.free_slots = grow_array(NULL, sizeof *r.free_slots, &cap, c);
    r.slot_cap = c;
    memset(slot_ptr, 0, c * sizeof *slot_ptr);
    memset(r.slot_size, 0, c * sizeof *r.slot_size);
    memset(r.slot_worker, 0, c * sizeof *r.slot_worker);
    memset(r.slot_done, 0, c * sizeof *r.slot_done);
    memset(r.free_slots, 0, c * sizeof *r.free_slots);
    memset(r.map.keys, 0, (r.map.mask + 1) * sizeof *r.map.keys);
    memset(r.map.vals, 0, (r.map.mask + 1) * sizeof *r.map.vals);
  }

  char line[4096];
  size_t n = (size_t)snprintf(line, sizeof line, "{\"start\":{\"malloc\":");
  n = json_string(line, sizeof line - 64, n, malloc_provider());
  n += (size_t)snprintf(line + n, sizeof line - n, ",\"mode\":\"%s\",\"sampleEvery\":%llu}}\n",
                        options->single_thread ? "single-thread" : "threads", (unsigned long long)options->sample_every);
  write_all(1, line, n);
  sample(&r);

  uint64_t start = now_ns();
  op_t op;
  while (op_next(&reader, &op)) {
    if (op.op == OP_THREAD_DONE) {
      thread_done(&r, op.thread);
      continue;
    }
    replay_op(&r, &op);
    if (r.ops % options->sample_every == 0) sample(&r);
  }
  quiesce(&r);
  uint64_t wall_ns = now_ns() - start;
  /* The end: every trace thread that did not exit is still alive, as in the traced process. */
  sample(&r);

  /* Every replay thread exits; its counters are then final. */
  for (uint32_t id = 0; id < r.thread_cap; id++) {
    if (r.by_thread && r.by_thread[id]) thread_done(&r, id);
  }
  exec_stats_t total = r.inline_stats;
  for (size_t i = 0; i < r.worker_count; i++) {
    worker_t *w = r.workers[i];
    if (w->started) join_worker(w);
    total.op_ns += w->op_ns;
    total.failed += w->failed;
  }

  fd_printf(1,
            "{\"result\":{\"ops\":%llu,\"opNs\":%llu,\"wallNs\":%llu,\"threads\":%llu,\"maxThreads\":%llu,"
            "\"liveBytes\":%llu,\"peakLiveBytes\":%llu,\"liveBlocks\":%llu,\"peakLiveBlocks\":%llu,"
            "\"unknownFrees\":%llu,\"unknownReallocs\":%llu,\"implicitFrees\":%llu,\"failedAllocs\":%llu,\"maxRss\":%llu}}\n",
            (unsigned long long)r.ops, (unsigned long long)total.op_ns, (unsigned long long)wall_ns,
            (unsigned long long)r.threads_seen, (unsigned long long)r.max_running, (unsigned long long)r.live_bytes,
            (unsigned long long)r.peak_live_bytes, (unsigned long long)r.live_blocks,
            (unsigned long long)r.peak_live_blocks, (unsigned long long)r.unknown_frees,
            (unsigned long long)r.unknown_reallocs, (unsigned long long)r.implicit_frees,
            (unsigned long long)total.failed, (unsigned long long)peak_rss_bytes());
  return EXIT_OK;
}
