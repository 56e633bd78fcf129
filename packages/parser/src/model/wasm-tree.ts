/**
 * A heap dump's stack tree and address table in WebAssembly, with the
 * reader of its stack lines (packages/parser/wasm/stack-lines.ts, compiled
 * by scripts/build-wasm.mjs).
 *
 * Why: reading `@ 0x… 0x…` lines and interning their frames is most of a
 * dump's parse, and a dump is read once per process. As JavaScript that loop
 * spends a large share of its one run in V8's interpreter and baseline code
 * before the optimized code lands; WebAssembly is compiled before its first
 * call (measured, and not kept: docs/BENCHMARKS.md, item 3).
 *
 * The ids are the JavaScript builder's: a location is numbered when its
 * address is first met, a stack node when its (parent, location) pair is
 * first met, in the same order as the JavaScript reader meets them. The
 * builder (model/builder.ts) delegates its address and stack interning here
 * when it owns a tree, so lines the module hands back (anything but plain
 * addresses) are read by the JavaScript reader into the same tables.
 */
import { wasmBase64 } from '../wasm/stack-lines.generated.js';

// The parts of the WebAssembly API used here (this project's TypeScript
// libraries, ES2022 and Node's, do not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
};
type WasmModule = { readonly kind: 'wasm module' };

interface Exports {
  memory: { readonly buffer: ArrayBuffer };
  init(expectedNodes: number, limit: number): void;
  nodes(): number;
  columns(): void;
  parents(): number;
  locations(): number;
  addresses(): number;
  addressHi(): number;
  addressLo(): number;
  internNode(parent: number, location: number): number;
  location(hi: number, lo: number): number;
  chunkBuffer(length: number): number;
  forget(): void;
  readLine(start: number, length: number): number;
}

let compiled: WasmModule | undefined | null;

/** The compiled module, once per process; null where WebAssembly is unavailable. */
function module(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(wasmBase64, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** {@link WasmStackTree.readLine}: the line is not only plain addresses. */
export const LINE_NOT_PLAIN = -1;
/** {@link WasmStackTree.readLine} and `internNode`: the tree would pass its node limit. */
export const TREE_FULL = -2;

/** One builder's stack tree and address table, in a WebAssembly instance of its own. */
export class WasmStackTree {
  private readonly x: Exports;
  /** The batch of lines last copied into the instance's memory. */
  private chunk: Uint8Array | undefined;

  private constructor(x: Exports) {
    this.x = x;
  }

  /**
   * A tree presized for `expectedNodes`, holding at most `limit` nodes (the
   * empty stack, node 0, included); undefined where WebAssembly cannot run.
   */
  static create(expectedNodes: number, limit: number): WasmStackTree | undefined {
    const m = module();
    if (!m) return undefined;
    const instance = new WebAssembly.Instance(m, {
      env: {
        abort: () => {
          throw new RangeError('out of memory reading stack lines');
        },
      },
    });
    const x = instance.exports as unknown as Exports;
    x.init(Math.min(Math.max(4096, Math.ceil(expectedNodes)), 1 << 24), Math.min(limit, 0x7fffffff));
    return new WasmStackTree(x);
  }

  /**
   * The stack of the addresses in `bytes[start, end)` (leaf first, hex with
   * or without `0x`, separated by spaces or tabs);
   * {@link LINE_NOT_PLAIN} when a token is anything else (nothing is then
   * interned), {@link TREE_FULL} when the tree is full.
   */
  readLine(bytes: Uint8Array, start: number, end: number): number {
    if (bytes !== this.chunk) {
      // A batch's lines are read one after the other: copied once, whole.
      const at = this.x.chunkBuffer(bytes.length);
      new Uint8Array(this.x.memory.buffer, at, bytes.length).set(bytes);
      this.chunk = bytes;
    }
    return this.x.readLine(start, end - start);
  }

  /** The stack node (parent, location), added when new; {@link TREE_FULL} when the tree is full. */
  internNode(parent: number, location: number): number {
    return this.x.internNode(parent, location);
  }

  /** The location of address (hi, lo), numbered when first met. */
  location(hi: number, lo: number): number {
    return this.x.location(hi, lo);
  }

  /** Compares the next line with nothing. */
  forget(): void {
    this.x.forget();
  }

  /** Number of stack nodes (node 0, the empty stack, included). */
  get nodeCount(): number {
    return this.x.nodes();
  }

  /** Number of locations. */
  get addressCount(): number {
    return this.x.addresses();
  }

  /** Copies of the nodes' parent and location columns. */
  stackColumns(): { parent: Int32Array; location: Int32Array } {
    const n = this.x.nodes();
    this.x.columns();
    const buffer = this.x.memory.buffer;
    return {
      parent: new Int32Array(buffer, this.x.parents(), n).slice(),
      location: new Int32Array(buffer, this.x.locations(), n).slice(),
    };
  }

  /** The address halves of locations `[from, addressCount)` (views, valid until the next call). */
  addressesFrom(from: number): { hi: Uint32Array; lo: Uint32Array } {
    const n = this.x.addresses() - from;
    const buffer = this.x.memory.buffer;
    return {
      hi: new Uint32Array(buffer, this.x.addressHi() + from * 4, n),
      lo: new Uint32Array(buffer, this.x.addressLo() + from * 4, n),
    };
  }
}
