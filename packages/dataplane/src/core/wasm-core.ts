// The C++ core (native/src/core) compiled to WebAssembly (native/src/wasm, `make -C native wasm`),
// loaded once per thread on first use. Every class of this package is a thin wrapper around it:
// the TS engine and the native engine run one implementation of the data plane (see
// docs/ARCHITECTURE.md). Compiling 50 kB takes about 5 ms, so it is done synchronously.
import { readFileSync } from 'node:fs';

import { CoreError } from '../errors.js';

/** The module's exports: C functions taking and returning pointers into `memory`. */
export type CoreExports = Record<string, (...args: number[]) => number> & {
  readonly memory: WebAssembly.Memory;
};

const WASM_URL = new URL('../../wasm/dataplane.wasm', import.meta.url);

let loaded: CoreExports | undefined;

/** The core's exports, instantiated on first call. */
export function core(): CoreExports {
  if (loaded === undefined) loaded = instantiate();
  return loaded;
}

function instantiate(): CoreExports {
  const module = new WebAssembly.Module(readFileSync(WASM_URL));
  let exports: CoreExports | undefined = undefined;
  const instance = new WebAssembly.Instance(module, {
    syfala: {
      // A C++ throw (native/src/wasm/runtime.cpp): unwinds through the wasm frames to our caller.
      fail: (what: number) => {
        throw new CoreError('REFUSED', cString(exports!.memory, what));
      },
    },
  });
  exports = instance.exports as CoreExports;
  exports._initialize!();
  return exports;
}

function cString(memory: WebAssembly.Memory, at: number): string {
  const bytes = new Uint8Array(memory.buffer, at);
  return new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
}

/**
 * Views of the core's memory. A growing heap replaces `memory.buffer` (the old views read 0
 * bytes), so views are taken again after anything that may allocate: get them from here each
 * time, never keep them across a call that constructs.
 */
function heapU8(): Uint8Array {
  refresh();
  return u8;
}

function heapF32(): Float32Array {
  refresh();
  return f32;
}

export function heapF64(): Float64Array {
  refresh();
  return f64;
}

let buffer: ArrayBuffer | undefined;
let u8 = new Uint8Array(0);
let f32 = new Float32Array(0);
let f64 = new Float64Array(0);

function refresh(): void {
  const current = core().memory.buffer;
  if (current === buffer) return;
  buffer = current;
  u8 = new Uint8Array(current);
  f32 = new Float32Array(current);
  f64 = new Float64Array(current);
}

/**
 * Ties a core object's lifetime to its wrapper: `release` (which must not hold the wrapper) frees
 * it once the wrapper is garbage collected. Core objects are few and long-lived (a stream's), so
 * the collector's timing is good enough and no wrapper needs a close(). `uses` are the wrappers
 * of the core objects this one points to (a stream's jitter buffer): held until it is freed.
 */
const owned = new FinalizationRegistry<{ release: () => void; uses: readonly object[] }>(
  ({ release }) => release(),
);

export function own(wrapper: object, release: () => void, uses: readonly object[] = []): void {
  owned.register(wrapper, { release, uses });
}

/**
 * The address of the core object a wrapper stands for, for the wrappers that hand it to another
 * core object (a DriftCompensatedStream takes its JitterBuffer's). Package-internal: the index
 * does not export it.
 */
export const corePointer: unique symbol = Symbol('syfala core object');

/** A wrapper whose core object other core objects may use. */
export interface CoreObject {
  readonly [corePointer]: number;
}

/** Allocates on the core's heap; throws CoreError when it is full. */
export function allocate(bytes: number): number {
  const pointer = core().syfala_alloc!(Math.max(1, bytes));
  if (pointer === 0)
    throw new CoreError('OUT_OF_MEMORY', `data plane core: out of memory (${bytes} bytes)`);
  return pointer;
}

let scratchPointer = 0;
let scratchBytes = 0;

/**
 * `bytes` of the core's heap for one call's input (a datagram, a period): the same block every
 * time, grown when a call needs more. Calls never nest, and each thread has its own core.
 */
export function scratch(bytes: number): number {
  if (bytes > scratchBytes) {
    if (scratchPointer !== 0) core().syfala_free!(scratchPointer);
    scratchPointer = allocate(bytes);
    scratchBytes = bytes;
  }
  return scratchPointer;
}

/**
 * A view of the core's memory at `pointer`, `length` elements: `previous` when it is still that
 * view (same memory, place and length), else a new one. A wrapper that keeps its view copies
 * through the same one every period: the audio path allocates nothing.
 */
export function coreView<T extends Uint8Array | Float32Array>(
  Type: new (buffer: ArrayBuffer, byteOffset: number, length: number) => T,
  previous: T | undefined,
  pointer: number,
  length: number,
): T {
  const buffer = core().memory.buffer;
  if (sameView(previous, buffer, pointer, length)) return previous;
  return new Type(buffer, pointer, length);
}

/**
 * One argument's copies into the scratch block (copyIn), through a view of the caller's elements
 * that it keeps while they are the same memory: a caller that passes the same array, offset and
 * count every period (the audio path) allocates nothing.
 */
export class ArgumentCopy<T extends Uint8Array | Float32Array> {
  #view: T | undefined;

  /**
   * Copies `count` elements of `src` from `offset` to `pointer` (by default the scratch block, for
   * a call's one argument; a call with two places them in a block it sized); returns it.
   */
  copy(
    src: T,
    offset: number,
    count: number,
    pointer = scratch(count * src.BYTES_PER_ELEMENT),
  ): number {
    this.#view = this.#viewOf(src, offset, count);
    if (this.#view instanceof Float32Array) heapF32().set(this.#view, pointer >> 2);
    else heapU8().set(this.#view, pointer);
    return pointer;
  }

  #viewOf(src: T, offset: number, count: number): T {
    if (offset === 0 && count === src.length) return src;
    const byteOffset = src.byteOffset + offset * src.BYTES_PER_ELEMENT;
    if (sameView(this.#view, src.buffer, byteOffset, count)) return this.#view;
    return src.subarray(offset, offset + count) as T;
  }
}

function sameView<T extends Uint8Array | Float32Array>(
  view: T | undefined,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): view is T {
  return (
    view !== undefined &&
    view.buffer === buffer &&
    view.byteOffset === byteOffset &&
    view.length === length
  );
}
