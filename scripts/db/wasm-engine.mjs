/* global URL, WebAssembly */
// Loads @prisma/schema-engine-wasm on Node 20 and opens it over a Prisma driver adapter.
// Node 20 cannot `import` a .wasm module (the package's glue does), so the module is
// instantiated by hand with the generated JS bindings as its only import namespace.
import { readFile } from 'node:fs/promises';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

let loaded;

/** The wasm bindings module (exports SchemaEngine, version), instantiated once. */
export function loadSchemaEngineWasm() {
  loaded ??= (async () => {
    const bgUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bg = await import(bgUrl);
    const bytes = await readFile(new URL('schema_engine_bg.wasm', bgUrl));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return bg;
  })();
  return loaded;
}

/**
 * Opens a SchemaEngine. `datamodels` are [path, content] pairs (may be empty);
 * `adapterFactory` is a SqlMigrationAwareDriverAdapterFactory (PrismaPg, PrismaPGlite).
 * `onLog` receives the engine's log lines (JSON strings).
 */
export async function openSchemaEngine({ adapterFactory, datamodels = [], onLog = () => {} }) {
  const { SchemaEngine } = await loadSchemaEngineWasm();
  const adapter = bindMigrationAwareSqlAdapterFactory(adapterFactory);
  return SchemaEngine.new({ datamodels: datamodels.length ? datamodels : undefined }, onLog, adapter);
}
