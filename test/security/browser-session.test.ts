// Browser sessions against the real api: a login with an api key answers a signed session
// cookie (HttpOnly, SameSite=Strict, never the key), which /trpc, /ui/settings.json and the
// codec endpoint accept; a state-changing request with it from another origin (CSRF) or with
// no Origin is refused and changes nothing; revoking the key ends its sessions at once; a
// session of another namespace's key is refused there; the pages carry a strict CSP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/auth/session.js';
import { ensureDashboardBuilt } from '../support/browser.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let api: string;

beforeAll(async () => {
  ensureDashboardBuilt();
  stack = await startTestStack({ name: 'session', withWorker: false });
  api = stack.api.url;
});
afterAll(async () => {
  await stack?.stop();
});

async function login(key: string, origin: string | null = api) {
  const res = await fetch(`${api}/auth/session`, {
    method: 'POST', body: JSON.stringify({ key }), headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
  });
  const setCookie = res.headers.get('set-cookie');
  const value = setCookie?.match(new RegExp(`^${SESSION_COOKIE}=([^;]*)`))?.[1];
  return { status: res.status, setCookie, cookie: value ? `${SESSION_COOKIE}=${value}` : undefined, body: (await res.json()) as Record<string, unknown> };
}

/** A tRPC call with only a cookie (as a browser page makes it). */
async function call(path: string, args: { cookie?: string; origin?: string; input?: unknown; mutation?: boolean }) {
  const headers: Record<string, string> = { ...(args.cookie ? { cookie: args.cookie } : {}), ...(args.origin ? { origin: args.origin } : {}) };
  const res = args.mutation
    ? await fetch(`${api}/trpc/${path}`, { method: 'POST', body: JSON.stringify(args.input ?? {}), headers: { ...headers, 'content-type': 'application/json' } })
    : await fetch(`${api}/trpc/${path}${args.input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(args.input))}`}`, { headers });
  return { status: res.status, body: (await res.json()) as { result?: { data: unknown }; error?: { message: string; data?: { code?: string } } } };
}

describe('login', () => {
  it('a right key answers a session cookie that is HttpOnly, SameSite=Strict, not Secure over http, and holds no key', async () => {
    const { status, setCookie, cookie, body } = await login(stack.adminKey);
    expect(status).toBe(200);
    expect(body).toMatchObject({ namespace: '*', role: 'admin' });
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    expect(setCookie).not.toContain(stack.adminKey);
    expect(setCookie).not.toContain(stack.adminKey.slice(4, 20));
    expect((await call('auth.whoami', { cookie })).body.result?.data).toMatchObject({ namespace: '*', role: 'admin' });
  });

  it('a wrong key, the worker token, a malformed body and a login from another origin are refused without a cookie', async () => {
    for (const [key, origin, expected] of [
      ['csk_wrong', api, 401], [stack.api.workerToken, api, 401], ['', api, 400],
      [stack.adminKey, 'http://127.0.0.1:1', 403], [stack.adminKey, 'http://evil.example', 403],
    ] as const) {
      const r = await login(key, origin);
      expect(r.status, `${key.slice(0, 4)} from ${origin}`).toBe(expected);
      expect(r.setCookie).toBeNull();
    }
  });

  it('without a session, the api answers 401 and /ui/settings.json says to log in', async () => {
    expect((await call('auth.whoami', {})).status).toBe(401);
    expect((await call('auth.whoami', { cookie: `${SESSION_COOKIE}=v1.${'a'.repeat(64)}.9999999999.${'A'.repeat(43)}` })).status).toBe(401);
    expect((await fetch(`${api}/ui/settings.json`)).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('a mutation with the cookie runs from the api\'s own origin only; from another origin or none it is refused and changes nothing', async () => {
    const { cookie } = await login(stack.adminKey);
    const create = (name: string, origin?: string) => call('secrets.create', { cookie, origin, mutation: true, input: { namespace: 'default', name, value: 's3cret' } });
    expect((await create('from-other-port', 'http://127.0.0.1:1')).status).toBe(403);
    expect((await create('from-elsewhere', 'http://evil.example')).status).toBe(403);
    expect((await create('no-origin')).status).toBe(403);
    expect((await create('from-page', api)).status).toBe(200);
    const names = (await stack.client.secrets.list.query({ namespace: 'default' })).map((s) => s.name);
    expect(names).toContain('from-page');
    expect(names).not.toContain('from-other-port');
    expect(names).not.toContain('from-elsewhere');
    expect(names).not.toContain('no-origin');
  });
});

describe('sessions follow their key', () => {
  it('another namespace\'s session is FORBIDDEN here and changes nothing; revoking the key ends the session at once', async () => {
    const other = await stack.clientWithKey({ namespace: 'shop', role: 'developer' });
    const { cookie } = await login(other.key);
    expect((await call('functions.list', { cookie, input: { namespace: 'shop' } })).status).toBe(200);
    const denied = await call('secrets.create', { cookie, origin: api, mutation: true, input: { namespace: 'default', name: 'shop-wrote-this', value: 'x' } });
    expect(denied.body.error?.data?.code).toBe('FORBIDDEN');
    expect((await stack.client.secrets.list.query({ namespace: 'default' })).map((s) => s.name)).not.toContain('shop-wrote-this');
    expect((await call('functions.list', { cookie, input: { namespace: 'default' } })).body.error?.data?.code).toBe('FORBIDDEN');

    await stack.client.keys.revoke.mutate({ id: other.id });
    expect((await call('functions.list', { cookie, input: { namespace: 'shop' } })).status).toBe(401);
  });

  it('the codec endpoint takes an admin-of-every-namespace session from the Web UI\'s origin only', async () => {
    const uiOrigin = stack.config.api.codecOrigins[0]!;
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const plain = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"marker":"codec-cookie"}') }] };
    const encoded = await (await fetch(`${api}/codec/encode`, {
      method: 'POST', body: JSON.stringify(plain), headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    })).json();
    const decode = (cookie: string | undefined, origin: string) => fetch(`${api}/codec/decode`, {
      method: 'POST', body: JSON.stringify(encoded), headers: { 'content-type': 'application/json', origin, ...(cookie ? { cookie } : {}) },
    });
    const admin = (await login(stack.adminKey)).cookie;
    const ok = await decode(admin, uiOrigin);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(await ok.json()).toEqual(plain);
    expect((await decode(admin, 'http://evil.example')).status).toBe(403);
    expect((await decode(undefined, uiOrigin)).status).toBe(401);
    const reader = await stack.clientWithKey({ namespace: '*', role: 'reader' });
    expect((await decode((await login(reader.key)).cookie, uiOrigin)).status).toBe(403);
  });

  it('logging out answers an expired cookie', async () => {
    const res = await fetch(`${api}/auth/session`, { method: 'DELETE', headers: { origin: api } });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
    expect((await fetch(`${api}/auth/session`, { method: 'DELETE', headers: { origin: 'http://evil.example' } })).status).toBe(403);
  });
});

describe('pages', () => {
  it('/ui answers the page with a strict CSP and no inline script; assets by exact name only', async () => {
    expect((await fetch(`${api}/ui`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
    const page = await fetch(`${api}/ui/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/ui\/assets\//);
      expect(body!.trim()).toBe('');
    }
    const src = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${api}${src}`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${api}/ui/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${api}/ui/assets/nope.js`)).status).toBe(404);
    for (const path of ['/ui/%2e%2e/package.json', '/ui/..%2fpackage.json', '/ui/assets/%2e%2e%2f%2e%2e%2fpackage.json']) {
      expect(await (await fetch(`${api}${path}`)).text(), path).not.toContain('devDependencies');
    }
  });
});
