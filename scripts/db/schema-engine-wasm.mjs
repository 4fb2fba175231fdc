#!/usr/bin/env node
/* global process, URL */
// Stands in for Prisma's native schema-engine binary, which cannot be downloaded here.
// The Prisma CLI spawns it (PRISMA_SCHEMA_ENGINE_BINARY) and speaks newline-delimited
// JSON-RPC over stdio; every call is forwarded to @prisma/schema-engine-wasm, which
// reaches the database through a Prisma driver adapter (PrismaPg; PGlite in memory
// when there is no datasource, e.g. `migrate diff --from-empty --to-schema`).
//
// Invocations the CLI makes:
//   schema-engine --version
//   schema-engine [--datamodels <file>]... [--datasource <json>]      (RPC over stdio)
//   schema-engine --datasource <json> cli can-connect-to-database|create-database
import { readFile } from 'node:fs/promises';
import readline from 'node:readline';
import { openSchemaEngine, loadSchemaEngineWasm } from './wasm-engine.mjs';

const args = parseArgs(process.argv.slice(2));

/** Log lines go to stderr as the native engine writes them; the CLI parses them. */
function log(level, message, extra = {}) {
  process.stderr.write(
    JSON.stringify({ timestamp: new Date().toISOString(), level, fields: { message, ...extra }, target: 'schema_engine::logger' }) + '\n',
  );
}

function parseArgs(argv) {
  const out = { datamodels: [], datasource: undefined, cli: undefined, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version' || a === '-V') out.version = true;
    else if (a === '--datamodels') out.datamodels.push(argv[++i]);
    else if (a === '--datasource') out.datasource = JSON.parse(argv[++i]);
    else if (a === '--enabled-preview-features' || a === '--extension-types') i++;
    else if (a === 'cli') out.cli = argv[++i];
  }
  return out;
}

function isPostgresUrl(url) {
  return /^postgres(ql)?:\/\//.test(url ?? '');
}

async function adapterFactoryFor(datasource) {
  const url = datasource?.url;
  if (!url) {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    const db = new PGlite();
    return { factory: new PrismaPGlite(db), close: () => db.close() };
  }
  if (!isPostgresUrl(url)) throw userError('P1013', `The wasm schema-engine stand-in supports postgresql:// URLs only.`);
  const PrismaPg = await pgFactoryClass();
  const factory = new PrismaPg(url);
  const shadowUrl = datasource.shadowDatabaseUrl;
  factory.connectToShadowDb = shadowUrl
    ? async () => {
        // An explicit shadow database is emptied first, as the native engine does.
        const shadow = await new PrismaPg(shadowUrl).connect();
        await shadow.executeScript('DROP SCHEMA IF EXISTS "public" CASCADE; CREATE SCHEMA "public";');
        return shadow;
      }
    : () => temporaryShadowDb(PrismaPg, url);
  return { factory, close: async () => {} };
}

/**
 * A PrismaPg factory class taking a URL. Its pg clients report PostgreSQL's internal
 * `"char"` type (oid 18, used by the catalogs the engine reads to describe a schema) as
 * text: @prisma/adapter-pg 7.10 rejects oid 18 as an unsupported column type, which
 * breaks `migrate dev`'s schema description. The value is already a string either way.
 */
async function pgFactoryClass() {
  const pg = (await import('pg')).default;
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const patch = (res) => {
    for (const r of Array.isArray(res) ? res : [res]) {
      for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
    }
    return res;
  };
  class CharAsTextClient extends pg.Client {
    query(config, values, callback) {
      if (typeof values === 'function') [callback, values] = [values, undefined];
      if (typeof callback === 'function') {
        return super.query(config, values, (err, res) => callback(err, err ? res : patch(res)));
      }
      const out = super.query(config, values);
      return out && typeof out.then === 'function' ? out.then(patch) : out;
    }
  }
  return class extends PrismaPg {
    constructor(url) {
      super(new pg.Pool({ connectionString: url, Client: CharAsTextClient }), { disposeExternalPool: true });
    }
  };
}

/**
 * PrismaPg's own connectToShadowDb spreads `{ connectionString, database }` into a pg
 * Pool, where the connection string wins: the "shadow" would be the main database. So
 * the temporary database is made here and addressed by its own URL.
 */
async function temporaryShadowDb(PrismaPg, url) {
  const admin = await new PrismaPg(url).connect();
  const name = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`;
  await admin.executeScript(`CREATE DATABASE "${name}"`);
  const shadowUrl = new URL(url);
  shadowUrl.pathname = `/${name}`;
  const shadow = await new PrismaPg(shadowUrl.toString()).connect();
  const dispose = shadow.dispose.bind(shadow);
  shadow.dispose = async () => {
    await dispose();
    await admin.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.dispose();
  };
  return shadow;
}

function userError(code, message) {
  return Object.assign(new Error(message), { errorCode: code });
}

/** `cli <command>` subcommands: answer through the exit code and stderr logs. */
async function runCliCommand(command, datasource) {
  const url = datasource?.url;
  if (!isPostgresUrl(url)) {
    log('ERROR', 'The wasm schema-engine stand-in supports postgresql:// URLs only.', { error_code: 'P1013' });
    process.exit(1);
  }
  const pg = (await import('pg')).default;
  const tryConnect = async (connectionString) => {
    const client = new pg.Client({ connectionString });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
  };
  try {
    if (command === 'can-connect-to-database') {
      await (await tryConnect(url)).end();
    } else if (command === 'create-database') {
      const target = new URL(url);
      const name = decodeURIComponent(target.pathname.slice(1));
      target.pathname = '/postgres';
      const admin = await tryConnect(target.toString());
      try {
        await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } finally {
        await admin.end();
      }
    } else {
      log('ERROR', `unsupported cli command: ${command}`);
      process.exit(1);
    }
    process.exit(0);
  } catch (err) {
    const code = err.code === '3D000' ? 'P1003' : err.code === '28P01' ? 'P1000' : 'P1001';
    log('ERROR', `${err.message}`, { error_code: code });
    process.exit(1);
  }
}

/** RPC names the CLI sends that the wasm engine names differently. */
const METHOD_ALIASES = { getDatabaseVersion: 'version' };

function rpcError(id, err) {
  // The wasm engine rejects with user-facing errors carrying a Prisma error code.
  const parsed = parseEngineError(err);
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: 4466,
      message: 'An error happened. Check the data field for details.',
      data: { is_panic: false, message: parsed.message, error_code: parsed.code, meta: parsed.meta },
    },
  };
}

function parseEngineError(err) {
  if (err && typeof err === 'object' && 'errorCode' in err) return { code: err.errorCode, message: err.message };
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
  try {
    const j = typeof err === 'object' && err !== null && !(err instanceof Error) ? err : JSON.parse(raw);
    const user = j.user_facing_error ?? j;
    if (user.error_code || user.message) return { code: user.error_code, message: user.message ?? raw, meta: user.meta };
  } catch {
    /* not JSON: plain message */
  }
  return { code: undefined, message: raw };
}

async function runRpcServer() {
  const datamodels = await Promise.all(args.datamodels.map(async (p) => [p, await readFile(p, 'utf8')]));
  const { factory, close } = await adapterFactoryFor(args.datasource);
  const engine = await openSchemaEngine({
    adapterFactory: factory,
    datamodels,
    onLog: (line) => process.stderr.write(String(line).trimEnd() + '\n'),
  });

  let nextOwnId = 1_000_000;
  const pendingCliReplies = new Map();
  const send = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
  /** The native engine prints `diff` output through a `print` request to the CLI. */
  const printThroughCli = (content) =>
    new Promise((resolve) => {
      const id = nextOwnId++;
      pendingCliReplies.set(id, resolve);
      send({ jsonrpc: '2.0', id, method: 'print', params: { content } });
    });

  /**
   * The wasm engine gives its shadow-database factory only to diagnose/devDiagnostic;
   * evaluateDataLoss and createMigration read the migrations' schema from a cache those
   * fill (keyed by the applied migrations). `migrate dev` on an empty database leaves it
   * cold, so it is filled here from the same engine, now that the CLI has applied them.
   */
  async function warmShadowSchemaCache(params) {
    if (!params?.migrationsList) return;
    await engine
      .diagnoseMigrationHistory({ migrationsList: params.migrationsList, optInToShadowDatabase: true, filters: params.filters })
      .catch(() => {});
  }

  async function handle(req) {
    const method = METHOD_ALIASES[req.method] ?? req.method;
    if (method === 'createDatabase') {
      return { databaseName: new URL(args.datasource?.url ?? 'postgresql://x/').pathname.slice(1) };
    }
    if (typeof engine[method] !== 'function' || ['free', 'constructor', 'debugPanic'].includes(method)) {
      throw userError(undefined, `The wasm schema-engine does not support '${req.method}'.`);
    }
    if (method === 'evaluateDataLoss' || method === 'createMigration') await warmShadowSchemaCache(req.params);
    const result = await engine[method](req.params ?? {});
    if (method === 'diff' && result && typeof result.stdout === 'string') {
      await printThroughCli(result.stdout.trimEnd());
      return { exitCode: result.exitCode, stdout: null };
    }
    return result ?? {};
  }

  let queue = Promise.resolve();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.method === undefined && pendingCliReplies.has(msg.id)) {
      pendingCliReplies.get(msg.id)();
      pendingCliReplies.delete(msg.id);
      return;
    }
    // One call at a time, like the native engine.
    queue = queue.then(async () => {
      try {
        send({ jsonrpc: '2.0', id: msg.id, result: await handle(msg) });
      } catch (err) {
        send(rpcError(msg.id, err));
      }
    });
  });
  rl.on('close', () => {
    queue.then(async () => {
      engine.free();
      await close();
      process.exit(0);
    });
  });
}

if (args.version) {
  const { version } = await loadSchemaEngineWasm();
  process.stdout.write(`schema-engine-cli ${version()} (wasm stand-in)\n`);
} else if (args.cli) {
  await runCliCommand(args.cli, args.datasource);
} else {
  await runRpcServer();
}
