/*
 * The op stream: a trace's allocation operations, in trace order, as
 * heapscope-replayer reads them. packages/replay/src/op-stream.ts writes it
 * from any trace heapscope reads; docs/replay.md describes it for users.
 *
 *   stream  = header record* end
 *   header  = "HSOPS" 0x00 version 0x00        8 bytes; version = 1
 *   record  = tag [thread] fields
 *   tag     = one byte: op in bits 0-3, bit 4 set when a thread id follows;
 *             bits 5-7 are zero
 *   thread  = varint: the trace thread, numbered densely from 0 in order of
 *             appearance; given on the first record and whenever it changes
 *   varint  = unsigned LEB128 of a 64-bit value (at most 10 bytes)
 *   pointer = varint of (pointer XOR the previous pointer field's value);
 *             the first pointer field of the stream is XORed with 0
 *
 *   op  name         fields             the call replayed
 *   0   malloc       ptr size           malloc(size)
 *   1   calloc       ptr size           calloc(1, size)  (size = nmemb × size)
 *   2   memalign     ptr align size     memalign(align, size); align 0 = not
 *                                       recorded, replayed with 16
 *   3   realloc      old new size       realloc(old, size); old 0 = realloc(NULL, size)
 *   4   free         ptr                free(ptr); ptr 0 = free(NULL)
 *   5   thread_done                     the thread's replay thread exits
 *   15  end          count              count = records before it, thread_done
 *                                       excluded: a check against truncation
 *
 * Pointers are the trace's (any 64-bit value but 0 for a block); sizes are
 * bytes. Why XOR: consecutive pointers of a trace share their high bits, so
 * a pointer takes 2-4 bytes instead of 8, and XOR needs no carries on a
 * writer that holds pointers as two 32-bit halves.
 */
#ifndef HEAPSCOPE_REPLAYER_OP_STREAM_H
#define HEAPSCOPE_REPLAYER_OP_STREAM_H

#include <stddef.h>
#include <stdint.h>

enum { OP_MALLOC = 0, OP_CALLOC = 1, OP_MEMALIGN = 2, OP_REALLOC = 3, OP_FREE = 4, OP_THREAD_DONE = 5, OP_END = 15 };
#define OP_THREAD_FOLLOWS 0x10
#define OP_STREAM_MAGIC "HSOPS\0\1\0"
#define OP_STREAM_MAGIC_BYTES 8

/* One decoded record. */
typedef struct {
  uint8_t op;
  uint32_t thread;
  uint64_t ptr;  /* the block (malloc, calloc, memalign, free) or realloc's new pointer */
  uint64_t old;  /* realloc's old pointer */
  uint64_t size;
  uint64_t align;
} op_t;

/* A reader over a file descriptor, with its own mmap'd buffer. */
typedef struct {
  int fd;
  const char *name;
  uint8_t *buf;
  size_t cap, len, pos;
  uint64_t consumed; /* bytes before buf[0] */
  uint64_t prev_ptr;
  uint32_t thread;
  int have_thread;
  uint64_t records;
  int eof;
} op_reader_t;

/* Opens `path` ("-" = standard input) and checks the header; exits on error. */
void op_reader_open(op_reader_t *r, const char *path);
/* The next operation into `op`: 1, or 0 after the end record. Exits on a malformed or truncated stream. */
int op_next(op_reader_t *r, op_t *op);

#endif
