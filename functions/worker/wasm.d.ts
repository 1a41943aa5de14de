/** wrangler compiles `.wasm` imports into WebAssembly.Module objects (Workers cannot compile bytes). */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
