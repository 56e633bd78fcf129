/*
 * Trace pointer → slot: an open-addressing hash table with linear probing
 * and backward-shift deletion (no tombstones, so a long trace's churn never
 * degrades it). Key 0 marks an empty cell: a trace block is never at NULL.
 * Memory comes from mmap and grows with the number of live blocks.
 */
#ifndef HEAPSCOPE_REPLAYER_PTR_MAP_H
#define HEAPSCOPE_REPLAYER_PTR_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t *keys;
  uint32_t *vals;
  size_t mask;
  size_t count;
} ptr_map_t;

void ptr_map_init(ptr_map_t *m, size_t capacity);
/* The slot of `key`, or -1. */
int64_t ptr_map_get(const ptr_map_t *m, uint64_t key);
/* Adds `key` → `val`; `key` must be absent and non-zero. */
void ptr_map_put(ptr_map_t *m, uint64_t key, uint32_t val);
/* Removes `key`; returns its slot, or -1 when it was absent. */
int64_t ptr_map_remove(ptr_map_t *m, uint64_t key);

#endif
