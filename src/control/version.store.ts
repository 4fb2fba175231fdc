// The database side of registerFunctionVersion: writes the version a build produced. A retried
// activity that already wrote it, or an update that changes nothing (same code, same settings),
// answers the latest version instead of making an identical one.
import type { Repositories } from '../db/index.js';
import type { VersionRequest } from '../shared/deploy.js';
import type { FunctionVersionSpec } from '../shared/types.js';
import type { VersionRegistry } from './version.activities.js';

export function createVersionStore(db: Pick<Repositories, 'functions'>): VersionRegistry {
  return {
    async register({ mode, version, artifact, retried }) {
      const row = { ...version, artifact };
      if (retried || mode === 'update') {
        const latest = await db.functions.getVersionSpec(version.namespace, version.name, 'latest').catch(() => undefined);
        if (latest && sameVersion(latest, row)) return latest;
      }
      return mode === 'create' ? db.functions.create(row) : db.functions.addVersion(row);
    },
  };
}

/** Whether a stored version already is what a deploy asks for: every setting and the code's hash. */
function sameVersion(stored: FunctionVersionSpec, asked: VersionRequest): boolean {
  const stable = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== undefined).sort(([a], [b]) => a.localeCompare(b)))
    : x));
  return (Object.keys(asked) as Array<keyof VersionRequest>)
    .every((key) => stable(asked[key] ?? null) === stable((stored as VersionRequest)[key] ?? null));
}
