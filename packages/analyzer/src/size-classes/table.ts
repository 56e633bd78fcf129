/** Lookups in an ascending table of class sizes. */

/** The smallest entry of the ascending `classes` that is ≥ `size`; the caller keeps `size` within the table's last entry. */
export function smallestAtLeast(classes: readonly number[], size: number): number {
  let lo = 0;
  let hi = classes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (classes[mid] >= size) hi = mid;
    else lo = mid + 1;
  }
  return classes[lo];
}
