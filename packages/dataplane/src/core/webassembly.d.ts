// The part of the WebAssembly JS API wasm-core.ts uses (tsconfig.test.json includes it too, for
// the tests that compile the sources). TypeScript declares it only in its DOM library and
// @types/node 20 not at all; Node 20 has it (V8's).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
}
