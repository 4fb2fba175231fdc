// The one place configuration is parsed: loadConfig(source = process.env) → frozen Config.
// Every variable, its default and its meaning: docs/reference/configuration.md, generated from this schema.
import { availableParallelism, hostname, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ArchiveLimits } from '../shared/archive-policy.js';
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_HOME } from './client-env.js';
import type { Quotas } from '../shared/quotas.js';
import { RUNTIME_NAMES, type Runtime } from '../shared/runtimes.js';
import { trustedProxyProblem } from '../shared/addresses.js';

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const MiB = 1024 * 1024;

export const EnvSchema = z.object({
  /** Where the CLI, the api and the worker keep their state: keys, the embedded database, code and io dirs. */
  CAISSON_HOME: z.string().default(DEFAULT_HOME),
  /** The address the api listens on (127.0.0.1: this machine only). */
  CAISSON_API_HOST: z.string().default(DEFAULT_API_HOST),
  /** The api's port (0: any free port). */
  CAISSON_API_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_API_PORT),
  /** The api's URL as callers reach it (default: from CAISSON_API_HOST and CAISSON_API_PORT). */
  CAISSON_API_URL: z.string().url().optional(),
  /** PEM certificate chain: with CAISSON_TLS_KEY the api serves HTTPS (and CAISSON_API_URL defaults to https://). */
  CAISSON_TLS_CERT: z.string().optional(),
  /** PEM private key of CAISSON_TLS_CERT. */
  CAISSON_TLS_KEY: z.string().optional(),
  /** Origins whose pages may call the api's codec endpoint (the Temporal Web UI's), comma-separated. */
  CAISSON_CODEC_ORIGINS: z.string().optional(),
  /** PostgreSQL URL of Caisson's database (unset: the embedded PGlite database under CAISSON_HOME/db). */
  DATABASE_URL: z.string().optional(),
  /** The Temporal frontend (host:port); `caisson dev` starts a dev server there when none answers. */
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  /** The Temporal namespace every workflow runs in. */
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** The Web UI port of the Temporal dev server `caisson dev` starts. */
  TEMPORAL_UI_PORT: z.coerce.number().int().default(8233),
  /** The workers' shared task queue (also goes into visibility queries as it is: no quotes or spaces). */
  CAISSON_TASK_QUEUE: z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, 'letters, digits, _ . and - only').default('caisson'),
  /** This worker's id, and the name of its own task queue (default: host name and pid). */
  CAISSON_WORKER_ID: z.string().optional(),
  /** The Docker engine workers use (default: the local socket). */
  DOCKER_HOST: z.string().optional(),
  /** The largest payload an invocation accepts. */
  CAISSON_MAX_PAYLOAD_BYTES: int(6 * MiB),
  /** The largest result a function may return (its own bytes); larger fails the attempt. */
  CAISSON_MAX_RESULT_BYTES: int(6 * MiB),
  /** The largest code archive a deploy accepts. */
  CAISSON_MAX_CODE_BYTES: int(50 * MiB),
  /** The most bytes a code archive (uploaded or built) may expand to. */
  CAISSON_MAX_CODE_EXPANDED_BYTES: int(256 * MiB),
  /** The most entries a code archive may hold. */
  CAISSON_MAX_CODE_FILES: int(10_000),
  /** Stdout and stderr kept per attempt; the rest is cut and counted. */
  CAISSON_LOG_CAP_BYTES: int(1 * MiB),
  /** Payloads and results up to this size travel in Temporal's history; larger ones are stored as blobs. */
  CAISSON_INLINE_PAYLOAD_BYTES: int(256 * 1024),
  /** The worker's data dir as the Docker engine sees it (when the worker itself runs in a container). */
  CAISSON_HOST_DATA_DIR: z.string().optional(),
  /** Attempts one worker runs at once. */
  CAISSON_WORKER_CONCURRENCY: int(8),
  /** Go build and module caches of deploy-time builds, one subdir per namespace (workers of one host may share it). */
  CAISSON_BUILD_CACHE_DIR: z.string().optional(),
  /** The Docker network deploy-time builds run on. */
  CAISSON_BUILD_NETWORK: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/).default('caisson-build'),
  /** The bridge interface of CAISSON_BUILD_NETWORK (firewall rules match it). */
  CAISSON_BUILD_BRIDGE: z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'an interface name: at most 15 letters, digits, _ . -').default('caisson-build0'),
  /** auto: firewall the build bridge off the host when possible, else warn; required: else refuse builds; off. */
  CAISSON_BUILD_FIREWALL: z.enum(['auto', 'required', 'off']).default('auto'),
  /** Forwarded destinations builds never reach (comma-separated CIDRs); link-local holds cloud metadata. */
  CAISSON_BUILD_BLOCKED_CIDRS: z.string().regex(/^[0-9a-fA-F.:/,\s]*$/).default('169.254.0.0/16'),
  /** Memory limit of one deploy-time build container. */
  CAISSON_BUILD_MEMORY_MB: int(1024),
  /** CPUs of one deploy-time build container. */
  CAISSON_BUILD_CPUS: z.coerce.number().positive().default(2),
  /** Process limit of one deploy-time build container. */
  CAISSON_BUILD_PIDS: int(512),
  /** A deploy-time build taking longer fails the deploy. */
  CAISSON_BUILD_TIMEOUT_S: int(600),
  /** The most a build's output (the code it makes) may weigh. */
  CAISSON_BUILD_OUTPUT_MB: int(512),
  /** The most files a build's output may hold. */
  CAISSON_BUILD_OUTPUT_FILES: int(100_000),
  /** Build log bytes kept and shown with a failed build. */
  CAISSON_BUILD_LOG_BYTES: int(256 * 1024),
  /** on: warm pools per function version (docs/runtimes.md, "Warm containers"); off: every attempt cold. */
  CAISSON_WARM: z.enum(['on', 'off']).default('on'),
  /** Warm containers one worker keeps across all versions. */
  CAISSON_WARM_MAX_CONTAINERS: int(32),
  /** Generic warm containers kept per runtime image used on this worker: started, no function yet,
   * a version that has none of its own claims one (src/runtime/generic-pool.ts). 0: none. */
  CAISSON_WARM_GENERIC: z.coerce.number().int().min(0).max(8).default(1),
  /** Runtimes whose generic containers start with the worker (comma-separated; a bare family: its
   * newest version, as a deploy of it gets); the others' once one of their versions ran here. */
  CAISSON_WARM_GENERIC_RUNTIMES: z.string().default('').transform((list, ctx) => {
    const names = list.split(',').map((r) => r.trim()).filter(Boolean);
    const unknown = names.find((r) => !(RUNTIME_NAMES as readonly string[]).includes(r));
    if (unknown !== undefined) ctx.addIssue({ code: 'custom', message: `unknown runtime '${unknown}' (one of ${RUNTIME_NAMES.join(', ')})` });
    return names as Runtime[];
  }),
  /** The worker's code cache: total bytes kept (past it the least recently used dirs go). */
  CAISSON_CODE_CACHE_MAX_BYTES: int(4096 * MiB),
  /** How often the code cache is reconciled with the api's live versions. */
  CAISSON_CODE_CACHE_RECONCILE_MS: int(30_000),
  /** How long after its last use a code dir counts as in use (never removed). */
  CAISSON_CODE_CACHE_GRACE_MS: int(20 * 60_000),
  /** The most CPUs a version may ask for (the api cannot ask the workers what they have: the api host's count by default). */
  CAISSON_MAX_FUNCTION_CPUS: z.coerce.number().positive().default(() => availableParallelism()),
  /** The most memory a version may ask for (default: half the api host's memory). */
  CAISSON_MAX_FUNCTION_MEMORY_MB: z.coerce.number().int().min(16).default(() => defaultMaxMemoryMb()),
  /** The key the CLI sends (else $CAISSON_HOME/credentials from `caisson login`, else $CAISSON_HOME/admin.key). */
  CAISSON_API_KEY: z.string().optional(),
  /** The credential workers fetch artifacts, blobs and secrets with; the api makes one on first start when unset. */
  CAISSON_WORKER_TOKEN: z.string().min(32, 'at least 32 characters').optional(),
  /** Where the api writes the worker token it makes, and a worker reads it (default: CAISSON_HOME/worker.token). */
  CAISSON_WORKER_TOKEN_FILE: z.string().optional(),
  /** 32 bytes, base64 or hex: seals secrets at rest and Temporal payloads; the api makes one on first start when unset. */
  CAISSON_SECRETS_KEY: z.string().optional(),
  /** Where that key is kept when not given (default: CAISSON_HOME/secrets.key). */
  CAISSON_SECRETS_KEY_FILE: z.string().optional(),
  /** Comma-separated Host values the api answers (host:port); `*` turns the check off. */
  CAISSON_API_ALLOWED_HOSTS: z.string().optional(),
  /** How long the api trusts a looked-up key: a key revoked by another api process works that much longer. */
  CAISSON_AUTH_CACHE_MS: int(1000),
  /** Quota default: invocations running at once per namespace (`caisson namespace set-quota` overrides each default). */
  CAISSON_QUOTA_CONCURRENT_INVOCATIONS: int(100),
  /** Quota default: invocations started per minute per namespace. */
  CAISSON_QUOTA_INVOCATIONS_PER_MINUTE: int(6000),
  /** Quota default: functions per namespace. */
  CAISSON_QUOTA_FUNCTIONS: int(1000),
  /** Quota default: function versions per namespace. */
  CAISSON_QUOTA_VERSIONS: int(10_000),
  /** Quota default: stored code bytes per namespace. */
  CAISSON_QUOTA_CODE_BYTES: int(10 * 1024 * MiB),
  /** Quota default: warm containers per namespace on one worker. */
  CAISSON_QUOTA_WARM_CONTAINERS: int(32),
  /** Quota default: stored payload and result blob bytes per namespace. */
  CAISSON_QUOTA_BLOB_BYTES: int(10 * 1024 * MiB),
  /** How long an invocation beyond its namespace's concurrency quota waits for a slot before its 429. */
  CAISSON_QUOTA_QUEUE_WAIT_MS: int(5000),
  /** Hosts /async-function callbacks may go to: `host[:port|:*]`, `*.domain`, comma-separated; empty: none (src/api/http-trigger/callback-allow.ts). */
  CAISSON_CALLBACK_ALLOW: z.string().default(''),
  /** Proxies whose X-Forwarded-For names the client of an HTTP trigger call (comma-separated addresses and CIDRs); empty: the socket's peer is the client. */
  CAISSON_TRUSTED_PROXIES: z.string().default('').transform((list, ctx) => {
    const entries = list.split(',').map((e) => e.trim()).filter(Boolean);
    for (const entry of entries) {
      const problem = trustedProxyProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
    return entries;
  }),
  /** Client addresses one public function's rate limit tracks at once (rows in the database); a new address past it gets 429 until rows expire. */
  CAISSON_TRIGGER_RATE_CLIENTS: z.coerce.number().int().min(1).default(10_000),
  /** Audit events older than this are deleted (hourly sweep); 0 keeps them forever. */
  CAISSON_AUDIT_RETENTION_DAYS: int(90),
  /** Blobs no live record needs are deleted once older than this (hourly sweep); 0 keeps them forever. */
  CAISSON_BLOB_RETENTION_DAYS: int(30),
  /** A worker's Prometheus metrics port (unset: none; 0: any free port). */
  CAISSON_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The address a worker's metrics port listens on. */
  CAISSON_METRICS_HOST: z.string().default('127.0.0.1'),
  /** The Bearer token a Prometheus scrape presents to /metrics (an admin key of every namespace works too). */
  CAISSON_METRICS_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(16, 'at least 16 characters').optional()),
  /** Distinct function label sets each process keeps in its metrics; later ones count under `_other`. */
  CAISSON_METRICS_MAX_SERIES: z.coerce.number().int().min(1).default(500),
  /** OpenTelemetry's own variable: traces are exported by OTLP/HTTP there when set, off otherwise. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /** The service name traces carry. */
  OTEL_SERVICE_NAME: z.string().default('caisson'),
  /** Platform logs: JSON lines (default) or text for people. */
  CAISSON_LOG_FORMAT: z.enum(['json', 'text']).default('json'),
}).refine((e) => !e.CAISSON_TLS_CERT === !e.CAISSON_TLS_KEY, {
  message: 'set both CAISSON_TLS_CERT and CAISSON_TLS_KEY, or neither', path: ['CAISSON_TLS_CERT'],
});

/** Half the host's memory, leaving the rest to the engine, the workers and other functions. */
function defaultMaxMemoryMb(): number {
  return Math.max(16, Math.floor(totalmem() / MiB / 2));
}

export interface Config {
  home: string;
  api: {
    host: string; port: number; url: string;
    /** Paths of the PEM certificate chain and key the api serves HTTPS with (undefined: plain HTTP). */
    tls: { certFile: string; keyFile: string } | undefined;
    /** Origins allowed to call /codec/* from a browser (the Temporal Web UI's). */
    codecOrigins: string[];
  };
  databaseUrl: string | undefined;
  pgliteDir: string;
  temporal: { address: string; namespace: string; uiPort: number; taskQueue: string };
  worker: {
    id: string;
    concurrency: number;
    /** Where code, io dirs and build outputs live on this (worker) machine. */
    dataDir: string;
    /** The same directory as the Docker engine sees it (differs when the worker runs in a container). */
    hostDataDir: string;
    /** Persistent caches of deploy-time builds (Go); the Docker engine must see the same path. */
    buildCacheDir: string;
    build: {
      network: string;
      bridge: string;
      firewall: 'auto' | 'required' | 'off';
      blockedCidrs: string[];
      limits: { memoryMb: number; cpus: number; pids: number; timeoutMs: number; outputMb: number; outputFiles: number; logBytes: number };
    };
    /** Warm pools on this worker, and how many warm containers it keeps across all versions. */
    warm: { enabled: boolean; maxContainers: number; genericPerImage: number; genericRuntimes: Runtime[] };
    /** Code dirs of versions no longer live go after graceMs unused; past maxBytes the least recently used go. */
    codeCache: { maxBytes: number; reconcileMs: number; graceMs: number };
  };
  dockerHost: string | undefined;
  limits: {
    payloadBytes: number; resultBytes: number; codeBytes: number; logBytes: number; inlineBytes: number;
    /** What one code archive may expand to (api at deploy, worker before extracting). */
    codeArchive: ArchiveLimits;
    /** The most a function version may ask for (limits.cpus, limits.memoryMb): what a worker can give. */
    functionCpus: number; functionMemoryMb: number;
  };
  auth: {
    /** The CLI's key from CAISSON_API_KEY (files are read by the CLI: cli/credentials.ts). */
    apiKey: string | undefined;
    workerToken: string | undefined;
    /** Where the api keeps the worker token it made, and a worker on the same machine reads it. */
    workerTokenFile: string;
    /** The master key from CAISSON_SECRETS_KEY (else the key file: cli/credentials.ts). */
    secretsKey: string | undefined;
    /** Where the api keeps the master key it made, and a worker on the same machine reads it. */
    secretsKeyFile: string;
    /** Where the api writes the admin key it makes when there is none. */
    adminKeyFile: string;
    /** Where `caisson login` stores a key. */
    credentialsFile: string;
    /** undefined: the defaults (host-check.ts). */
    allowedHosts: string[] | undefined;
    cacheMs: number;
  };
  /** Quota defaults of every namespace, and how long an invocation over the concurrency quota waits. */
  quotas: { defaults: Quotas; queueWaitMs: number };
  audit: { retentionDays: number };
  /**
   * HTTP triggers: the hosts /async-function callbacks may go to (CAISSON_CALLBACK_ALLOW, as
   * written), the proxies whose X-Forwarded-For is believed, and the client rows one public
   * function's rate limit keeps.
   */
  triggers: { callbackAllow: string; trustedProxies: string[]; rateClients: number };
  /** Blobs older than this no live record needs are deleted (0 keeps them). */
  blobs: { retentionDays: number };
  /** port: a worker's metrics port (undefined: none); token: what a scrape presents; maxSeries: distinct function label sets kept. */
  metrics: { port: number | undefined; host: string; token: string | undefined; maxSeries: number };
  /** endpoint: the OTLP/HTTP base URL traces go to (undefined: tracing off). */
  tracing: { endpoint: string | undefined; serviceName: string };
  /** How the api and workers write their platform logs (observability/platform-log.ts). */
  logFormat: 'json' | 'text';
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Readonly<Config> {
  const env = EnvSchema.parse(source);
  const home = resolve(env.CAISSON_HOME);
  const dataDir = resolve(home, 'worker');
  const tls = env.CAISSON_TLS_CERT && env.CAISSON_TLS_KEY
    ? { certFile: resolve(env.CAISSON_TLS_CERT), keyFile: resolve(env.CAISSON_TLS_KEY) } : undefined;
  const apiUrl = env.CAISSON_API_URL ?? `${tls ? 'https' : 'http'}://${env.CAISSON_API_HOST}:${env.CAISSON_API_PORT}`;
  const codecOrigins = env.CAISSON_CODEC_ORIGINS?.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean)
    ?? [`http://127.0.0.1:${env.TEMPORAL_UI_PORT}`, `http://localhost:${env.TEMPORAL_UI_PORT}`];
  return Object.freeze({
    home,
    api: { host: env.CAISSON_API_HOST, port: env.CAISSON_API_PORT, url: apiUrl.replace(/\/$/, ''), tls, codecOrigins },
    databaseUrl: env.DATABASE_URL || undefined,
    pgliteDir: resolve(home, 'db'),
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      uiPort: env.TEMPORAL_UI_PORT,
      taskQueue: env.CAISSON_TASK_QUEUE,
    },
    worker: {
      id: env.CAISSON_WORKER_ID ?? `${hostname()}-${process.pid}`,
      concurrency: env.CAISSON_WORKER_CONCURRENCY,
      dataDir,
      hostDataDir: env.CAISSON_HOST_DATA_DIR ? resolve(env.CAISSON_HOST_DATA_DIR) : dataDir,
      buildCacheDir: resolve(env.CAISSON_BUILD_CACHE_DIR ?? resolve(dataDir, 'build-cache')),
      build: {
        network: env.CAISSON_BUILD_NETWORK,
        bridge: env.CAISSON_BUILD_BRIDGE,
        firewall: env.CAISSON_BUILD_FIREWALL,
        blockedCidrs: env.CAISSON_BUILD_BLOCKED_CIDRS.split(',').map((c) => c.trim()).filter(Boolean),
        limits: {
          memoryMb: env.CAISSON_BUILD_MEMORY_MB, cpus: env.CAISSON_BUILD_CPUS, pids: env.CAISSON_BUILD_PIDS,
          timeoutMs: env.CAISSON_BUILD_TIMEOUT_S * 1000, outputMb: env.CAISSON_BUILD_OUTPUT_MB,
          outputFiles: env.CAISSON_BUILD_OUTPUT_FILES, logBytes: env.CAISSON_BUILD_LOG_BYTES,
        },
      },
      warm: {
        enabled: env.CAISSON_WARM === 'on', maxContainers: env.CAISSON_WARM_MAX_CONTAINERS,
        genericPerImage: env.CAISSON_WARM_GENERIC, genericRuntimes: env.CAISSON_WARM_GENERIC_RUNTIMES,
      },
      codeCache: {
        maxBytes: env.CAISSON_CODE_CACHE_MAX_BYTES,
        reconcileMs: env.CAISSON_CODE_CACHE_RECONCILE_MS,
        graceMs: env.CAISSON_CODE_CACHE_GRACE_MS,
      },
    },
    dockerHost: env.DOCKER_HOST,
    limits: {
      payloadBytes: env.CAISSON_MAX_PAYLOAD_BYTES,
      resultBytes: env.CAISSON_MAX_RESULT_BYTES,
      codeBytes: env.CAISSON_MAX_CODE_BYTES,
      logBytes: env.CAISSON_LOG_CAP_BYTES,
      inlineBytes: env.CAISSON_INLINE_PAYLOAD_BYTES,
      codeArchive: { maxExpandedBytes: env.CAISSON_MAX_CODE_EXPANDED_BYTES, maxEntries: env.CAISSON_MAX_CODE_FILES },
      functionCpus: env.CAISSON_MAX_FUNCTION_CPUS,
      functionMemoryMb: env.CAISSON_MAX_FUNCTION_MEMORY_MB,
    },
    auth: {
      apiKey: env.CAISSON_API_KEY || undefined,
      workerToken: env.CAISSON_WORKER_TOKEN,
      workerTokenFile: resolve(env.CAISSON_WORKER_TOKEN_FILE ?? resolve(home, 'worker.token')),
      secretsKey: env.CAISSON_SECRETS_KEY || undefined,
      secretsKeyFile: resolve(env.CAISSON_SECRETS_KEY_FILE ?? resolve(home, 'secrets.key')),
      adminKeyFile: resolve(home, 'admin.key'),
      credentialsFile: resolve(home, 'credentials'),
      allowedHosts: env.CAISSON_API_ALLOWED_HOSTS?.split(',').map((h) => h.trim()).filter(Boolean),
      cacheMs: env.CAISSON_AUTH_CACHE_MS,
    },
    quotas: {
      defaults: {
        concurrentInvocations: env.CAISSON_QUOTA_CONCURRENT_INVOCATIONS,
        invocationsPerMinute: env.CAISSON_QUOTA_INVOCATIONS_PER_MINUTE,
        functions: env.CAISSON_QUOTA_FUNCTIONS,
        versions: env.CAISSON_QUOTA_VERSIONS,
        codeBytes: env.CAISSON_QUOTA_CODE_BYTES,
        warmContainers: env.CAISSON_QUOTA_WARM_CONTAINERS,
        blobBytes: env.CAISSON_QUOTA_BLOB_BYTES,
      },
      queueWaitMs: env.CAISSON_QUOTA_QUEUE_WAIT_MS,
    },
    audit: { retentionDays: env.CAISSON_AUDIT_RETENTION_DAYS },
    triggers: { callbackAllow: env.CAISSON_CALLBACK_ALLOW, trustedProxies: env.CAISSON_TRUSTED_PROXIES, rateClients: env.CAISSON_TRIGGER_RATE_CLIENTS },
    blobs: { retentionDays: env.CAISSON_BLOB_RETENTION_DAYS },
    metrics: {
      port: env.CAISSON_METRICS_PORT, host: env.CAISSON_METRICS_HOST,
      token: env.CAISSON_METRICS_TOKEN || undefined, maxSeries: env.CAISSON_METRICS_MAX_SERIES,
    },
    tracing: { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME },
    logFormat: env.CAISSON_LOG_FORMAT,
  });
}
