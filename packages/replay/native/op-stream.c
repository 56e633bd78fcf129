#define _GNU_SOURCE
#include "op-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Read in large blocks; a record is at most 1 + 10 + 3 × 10 bytes. */
#define READ_BYTES (1u << 20)
#define MAX_RECORD 48

static void fill(op_reader_t *r) {
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->consumed += r->pos;
    r->len -= r->pos;
    r->pos = 0;
  }
  while (!r->eof && r->len < r->cap) {
    ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die(EXIT_BAD_STREAM, "%s: read failed: %s", r->name, strerror(errno));
    }
    if (n == 0) r->eof = 1;
    r->len += (size_t)n;
    if (r->len >= MAX_RECORD) break;
  }
}

static void bad(const op_reader_t *r, const char *what) {
  die(EXIT_BAD_STREAM, "%s: op stream byte %llu: %s", r->name, (unsigned long long)(r->consumed + r->pos), what);
}

static uint64_t varint(op_reader_t *r) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (r->pos >= r->len) bad(r, "the stream ends inside a record (truncated)");
    uint8_t b = r->buf[r->pos++];
    if (shift == 63 && b > 1) bad(r, "varint exceeds 64 bits");
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  bad(r, "varint longer than 10 bytes");
  return 0;
}

static uint64_t pointer(op_reader_t *r) {
  r->prev_ptr ^= varint(r);
  return r->prev_ptr;
}

void op_reader_open(op_reader_t *r, const char *path) {
  memset(r, 0, sizeof *r);
  r->name = strcmp(path, "-") == 0 ? "(stdin)" : path;
  r->fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) die(EXIT_BAD_STREAM, "%s: %s", path, strerror(errno));
  r->cap = READ_BYTES;
  r->buf = region_alloc(r->cap);
  fill(r);
  if (r->len < OP_STREAM_MAGIC_BYTES || memcmp(r->buf, OP_STREAM_MAGIC, 5) != 0) bad(r, "not a heapscope op stream (no \"HSOPS\" header)");
  if (r->buf[6] != 1) bad(r, "unsupported op stream version");
  r->pos = OP_STREAM_MAGIC_BYTES;
}

int op_next(op_reader_t *r, op_t *op) {
  if (r->len - r->pos < MAX_RECORD && !r->eof) fill(r);
  if (r->pos >= r->len) bad(r, "the stream ends without its end record (truncated)");
  uint8_t tag = r->buf[r->pos++];
  if (tag & 0xe0) bad(r, "reserved tag bits set");
  if (tag & OP_THREAD_FOLLOWS) {
    uint64_t t = varint(r);
    if (t > UINT32_MAX - 1) bad(r, "thread id too large");
    r->thread = (uint32_t)t;
    r->have_thread = 1;
  }
  op->op = tag & 0x0f;
  op->old = op->size = op->align = 0;
  op->ptr = 0;
  switch (op->op) {
    case OP_MALLOC:
    case OP_CALLOC:
      op->ptr = pointer(r);
      op->size = varint(r);
      break;
    case OP_MEMALIGN:
      op->ptr = pointer(r);
      op->align = varint(r);
      op->size = varint(r);
      break;
    case OP_REALLOC:
      op->old = pointer(r);
      op->ptr = pointer(r);
      op->size = varint(r);
      break;
    case OP_FREE:
      op->ptr = pointer(r);
      break;
    case OP_THREAD_DONE:
      break;
    case OP_END: {
      uint64_t count = varint(r);
      if (count != r->records) bad(r, "the end record's count differs from the records read");
      if (r->len - r->pos > 0 || !r->eof) {
        fill(r);
        if (r->len - r->pos > 0) bad(r, "data after the end record");
      }
      return 0;
    }
    default:
      bad(r, "unknown operation");
  }
  if (!r->have_thread) bad(r, "the first record names no thread");
  op->thread = r->thread;
  if (op->op != OP_THREAD_DONE) r->records++;
  if ((op->op <= OP_MEMALIGN || op->op == OP_REALLOC) && op->ptr == 0) bad(r, "an allocation with a NULL pointer");
  return 1;
}
