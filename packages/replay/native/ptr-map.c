#include "ptr-map.h"

#include "util.h"

static size_t home(const ptr_map_t *m, uint64_t key) {
  /* Fibonacci hashing: pointers are aligned, so their low bits carry little;
     the multiply moves every bit into the top ones. */
  return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & m->mask;
}

void ptr_map_init(ptr_map_t *m, size_t capacity) {
  size_t c = 1024;
  while (c < capacity * 2) c *= 2;
  m->keys = region_alloc(c * sizeof *m->keys);
  m->vals = region_alloc(c * sizeof *m->vals);
  m->mask = c - 1;
  m->count = 0;
}

int64_t ptr_map_get(const ptr_map_t *m, uint64_t key) {
  for (size_t i = home(m, key);; i = (i + 1) & m->mask) {
    if (m->keys[i] == key) return m->vals[i];
    if (m->keys[i] == 0) return -1;
  }
}

static void grow(ptr_map_t *m) {
  ptr_map_t old = *m;
  ptr_map_init(m, (old.mask + 1));
  for (size_t i = 0; i <= old.mask; i++) {
    if (old.keys[i] != 0) ptr_map_put(m, old.keys[i], old.vals[i]);
  }
  region_free(old.keys, (old.mask + 1) * sizeof *old.keys);
  region_free(old.vals, (old.mask + 1) * sizeof *old.vals);
}

void ptr_map_put(ptr_map_t *m, uint64_t key, uint32_t val) {
  /* At most half full: short probe sequences. */
  if ((m->count + 1) * 2 > m->mask + 1) grow(m);
  size_t i = home(m, key);
  while (m->keys[i] != 0) i = (i + 1) & m->mask;
  m->keys[i] = key;
  m->vals[i] = val;
  m->count++;
}

int64_t ptr_map_remove(ptr_map_t *m, uint64_t key) {
  size_t i = home(m, key);
  for (;; i = (i + 1) & m->mask) {
    if (m->keys[i] == key) break;
    if (m->keys[i] == 0) return -1;
  }
  int64_t val = m->vals[i];
  /* Shift later members of the probe run back into the hole when their home
     is not between the hole and them. */
  size_t hole = i;
  for (size_t j = (i + 1) & m->mask; m->keys[j] != 0; j = (j + 1) & m->mask) {
    size_t h = home(m, m->keys[j]);
    int between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
    if (!between) {
      m->keys[hole] = m->keys[j];
      m->vals[hole] = m->vals[j];
      hole = j;
    }
  }
  m->keys[hole] = 0;
  m->count--;
  return val;
}
