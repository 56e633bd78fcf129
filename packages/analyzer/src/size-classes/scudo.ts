/**
 * scudo's size classes as Android configures them (bionic's default
 * allocator since Android 11; compiler-rt's `AndroidSizeClassConfig` for
 * 64-bit targets, the table of current releases — earlier Android
 * releases used slightly different tables).
 *
 * Every block starts with a 16-byte chunk header, and its size class is
 * chosen for the request rounded up to 16 bytes plus that header: the
 * table's classes include the header. Requests whose block would exceed
 * the largest class (64 KiB + 16) go to the secondary allocator, which maps
 * whole 4 KiB pages (its own few dozen bytes of bookkeeping in the mapping
 * are not counted here). scudo's `malloc_usable_size` returns the requested
 * size, not the block: the waste is the class minus the request.
 */

import { smallestAtLeast } from './table.js';

const HEADER = 16;
const PAGE = 4096;

/** Block sizes (header included), ascending. */
export const SCUDO_ANDROID_CLASSES: readonly number[] = Object.freeze([
  0x00020, 0x00030, 0x00040, 0x00050, 0x00060, 0x00070, 0x00090, 0x000b0, 0x000c0, 0x000e0, 0x00120, 0x00160, 0x001c0, 0x00250, 0x00320, 0x00450,
  0x00670, 0x00830, 0x00a10, 0x00c30, 0x01010, 0x01210, 0x01bd0, 0x02210, 0x02d90, 0x03790, 0x04010, 0x04810, 0x05a10, 0x07310, 0x08210, 0x10010,
]);

const LARGEST = SCUDO_ANDROID_CLASSES[SCUDO_ANDROID_CLASSES.length - 1];

/** The bytes scudo's block for a request of `size` bytes takes (header included). */
export function scudoBlockSize(size: number): number {
  const needed = Math.ceil(Math.max(size, 1) / 16) * 16 + HEADER;
  if (needed > LARGEST) return Math.ceil(needed / PAGE) * PAGE;
  return smallestAtLeast(SCUDO_ANDROID_CLASSES, needed);
}
