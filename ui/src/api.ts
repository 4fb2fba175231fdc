// The dashboard's api client: tRPC over this origin's /trpc with the session cookie (same
// origin: the browser sends it; no key is ever held by a script). Typed by the api's router.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../src/api/routers/_app.js';

export const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: '/trpc' })] });

export type Outputs = inferRouterOutputs<AppRouter>;
export type Inputs = inferRouterInputs<AppRouter>;

export interface Session {
  name: string;
  namespace: string;
  role: 'admin' | 'developer' | 'invoker' | 'reader';
}

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** Logs in: the api answers a session cookie (HttpOnly) and who the key is. */
export async function login(key: string): Promise<Session> {
  return json<Session>(await fetch('/auth/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) }));
}

export async function logout(): Promise<void> {
  await fetch('/auth/session', { method: 'DELETE' });
}

/** The current session's key, or null when there is none (not logged in, expired, revoked). */
export async function currentSession(): Promise<Session | null> {
  try {
    const me = await api.auth.whoami.query();
    return { name: me.name, namespace: me.namespace, role: me.role };
  } catch (err) {
    if (err instanceof TRPCClientError && (err.data as { httpStatus?: number } | undefined)?.httpStatus === 401) return null;
    if (err instanceof TRPCClientError && /401|UNAUTHORIZED/.test(err.message)) return null;
    throw err;
  }
}

export interface UiSettings {
  temporalUiUrl: string | null;
  temporalNamespace: string;
}

export async function uiSettings(): Promise<UiSettings> {
  return json<UiSettings>(await fetch('/ui/settings.json'));
}

/** A failed call's message, as the api wrote it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
