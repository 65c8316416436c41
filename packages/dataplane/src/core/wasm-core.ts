/// <reference path="./webassembly.d.ts" />
// The C++ core (native/src/core) compiled to WebAssembly (native/src/wasm, `make -C native wasm`),
// loaded once per thread on first use. Every class of this package is a thin wrapper around it:
// the TS engine and the native engine run one implementation of the data plane (see
// docs/ARCHITECTURE.md). Compiling 40 kB is a few milliseconds, so it is done synchronously.
import { readFileSync } from 'node:fs';

/** The module's exports: C functions taking and returning pointers into `memory`. */
export type CoreExports = Record<string, (...args: number[]) => number> & {
  readonly memory: WebAssembly.Memory;
};

/** A refusal the core raised (a C++ exception), with its own sentence. */
export class CoreError extends Error {
  override readonly name = 'CoreError';
}

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
        throw new CoreError(cString(exports!.memory, what));
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
export function heapU8(): Uint8Array {
  refresh();
  return u8;
}

export function heapF32(): Float32Array {
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

/** Allocates on the core's heap; throws CoreError when it is full. */
export function allocate(bytes: number): number {
  const pointer = core().syfala_alloc!(Math.max(1, bytes));
  if (pointer === 0) throw new CoreError(`data plane core: out of memory (${bytes} bytes)`);
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

/** Elements around a range that are copied with it rather than take a view of the range. */
const WHOLE_COPY_SLACK = 256;

/**
 * How many elements copyTo copies for `count` of `src`: all of them when that is little more (a
 * datagram around its payload, a mask sized for the longest period), which needs no view of the
 * range, so the audio path allocates nothing; otherwise the range.
 */
export function copiedLength(src: Uint8Array | Float32Array, count: number): number {
  return src.length - count <= WHOLE_COPY_SLACK ? src.length : count;
}

/**
 * Copies `count` elements of `src` from `offset` to the heap at byte `pointer`, which has room for
 * copiedLength(src, count) of them; returns the address of the first.
 */
export function copyTo(
  pointer: number,
  src: Uint8Array | Float32Array,
  offset: number,
  count: number,
): number {
  const whole = copiedLength(src, count) === src.length;
  const part = whole ? src : src.subarray(offset, offset + count);
  if (part instanceof Float32Array) heapF32().set(part, pointer >> 2);
  else heapU8().set(part, pointer);
  return pointer + (whole ? offset : 0) * src.BYTES_PER_ELEMENT;
}

/** Copies `count` elements of `src` from `offset` into the scratch block; returns their address. */
export function copyIn(src: Uint8Array | Float32Array, offset: number, count: number): number {
  const pointer = scratch(copiedLength(src, count) * src.BYTES_PER_ELEMENT);
  return copyTo(pointer, src, offset, count);
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

/**
 * A view of `count` elements of the heap at byte `pointer`, kept while the heap, the address and
 * the count stay the same: the audio path copies the same span every period, and the view of it
 * is made once (a fresh `subarray` would be an allocation per call).
 */
export class HeapSpan<T extends Uint8Array | Float32Array> {
  readonly #heap: () => T;
  #view: T | undefined;

  constructor(heap: () => T) {
    this.#heap = heap;
  }

  at(pointer: number, count: number): T {
    const heap = this.#heap();
    const view = this.#view;
    if (
      view !== undefined &&
      view.buffer === heap.buffer &&
      view.byteOffset === pointer &&
      view.length === count
    ) {
      return view;
    }
    const start = pointer / heap.BYTES_PER_ELEMENT;
    return (this.#view = heap.subarray(start, start + count) as T);
  }
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

  /** Copies `count` elements of `src` from `offset` into the scratch block; returns its address. */
  copy(src: T, offset: number, count: number): number {
    const pointer = scratch(count * src.BYTES_PER_ELEMENT);
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
