/**
 * Growable typed-array columns used while a profile is being built.
 *
 * The model stores every per-sample, per-stack and per-location value in a
 * typed array (see docs/design.md#model); while importing, the final length
 * is unknown, so builders append into one of these and call `finish()` to get
 * an exact-length copy.
 */

type TypedArrayConstructor<T> = { new (length: number): T };

interface NumericArray {
  length: number;
  [index: number]: number;
  set(array: ArrayLike<number>, offset?: number): void;
  slice(start?: number, end?: number): this;
  subarray(start?: number, end?: number): this;
}

/** An append-only column over a typed array that doubles when full. */
export class GrowableColumn<T extends NumericArray> {
  /** Backing storage; only `[0, length)` is meaningful. */
  data: T;
  /** Number of values appended so far. */
  length = 0;

  constructor(
    private readonly make: TypedArrayConstructor<T>,
    initialCapacity = 64,
  ) {
    this.data = new make(Math.max(1, initialCapacity));
  }

  /** Appends one value and returns its index. */
  push(value: number): number {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length] = value;
    return this.length++;
  }

  /** Ensures room for `capacity` values without reallocating. */
  reserve(capacity: number): void {
    if (capacity > this.data.length) this.grow(capacity);
  }

  private grow(min: number): void {
    let capacity = this.data.length * 2;
    while (capacity < min) capacity *= 2;
    const next = new this.make(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  /** An exact-length copy of the values appended so far. */
  finish(): T {
    return this.data.slice(0, this.length);
  }
}

export const int32Column = (capacity?: number) => new GrowableColumn(Int32Array, capacity);
export const uint32Column = (capacity?: number) => new GrowableColumn(Uint32Array, capacity);
export const float64Column = (capacity?: number) => new GrowableColumn(Float64Array, capacity);

/**
 * `a`, or a copy of it doubled until index `i` fits (the new entries 0):
 * direct tables indexed by ids that only ever increase (per stack, per
 * site, per block).
 */
export function holding<T extends Int32Array | Float64Array>(a: T, i: number): T {
  if (i < a.length) return a;
  let n = a.length * 2;
  while (n <= i) n *= 2;
  const grown = new (a.constructor as new (n: number) => T)(n);
  grown.set(a);
  return grown;
}
