// Browser sessions: a signed, expiring token naming a key digest; the cookie's flags; and the
// Origin rule a state-changing request made with it must pass.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createSessionCodec, readCookie, sessionCookie, SESSION_COOKIE } from '../../../src/api/auth/session.js';
import { originAllowed, sessionCaller } from '../../../src/api/ui/session-caller.js';
import type { KeyPrincipal } from '../../../src/api/auth/authenticator.js';

const DIGEST = 'a'.repeat(64);
const secret = Buffer.alloc(32, 7);

describe('session codec', () => {
  it('verifies what it issued until it expires', () => {
    let t = 1_000_000;
    const codec = createSessionCodec(secret, () => t);
    const value = codec.issue({ keyDigest: DIGEST, expiresAt: t + 60_000 });
    expect(codec.verify(value)).toBe(DIGEST);
    t += 61_000;
    expect(codec.verify(value)).toBeNull();
  });

  it.each([
    ['another secret', (v: string) => v, Buffer.alloc(32, 8)],
    ['a changed digest', (v: string) => v.replace(`v1.${DIGEST}`, `v1.${'b'.repeat(64)}`), secret],
    ['a later expiry', (v: string) => v.replace(/\.(\d+)\./, (_m, n: string) => `.${Number(n) + 1}.`), secret],
    ['a cut signature', (v: string) => v.slice(0, -1), secret],
    ['no value', () => '', secret],
    ['the digest alone', () => DIGEST, secret],
  ])('refuses %s', (_name, change, verifySecret) => {
    const value = createSessionCodec(secret).issue({ keyDigest: DIGEST, expiresAt: Date.now() + 60_000 });
    expect(createSessionCodec(verifySecret).verify(change(value))).toBeNull();
  });

  it('reads one cookie out of a header, and writes HttpOnly, SameSite=Strict, Secure only with TLS', () => {
    expect(readCookie(`a=1; ${SESSION_COOKIE}=xyz; b=2`, SESSION_COOKIE)).toBe('xyz');
    expect(readCookie('a=1', SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(undefined, SESSION_COOKIE)).toBeUndefined();
    const plain = sessionCookie({ value: 'v', maxAgeS: 60, secure: false });
    expect(plain).toMatch(/HttpOnly/);
    expect(plain).toMatch(/SameSite=Strict/);
    expect(plain).not.toMatch(/Secure/);
    expect(sessionCookie({ value: 'v', maxAgeS: 60, secure: true })).toMatch(/; Secure$/);
  });
});

function request(headers: Record<string, string>, method = 'POST'): IncomingMessage {
  return { method, headers: { host: '127.0.0.1:3000', ...headers } } as unknown as IncomingMessage;
}

describe('Origin rule', () => {
  it.each([
    [{ origin: 'http://127.0.0.1:3000' }, false, [], true],
    [{ origin: 'https://127.0.0.1:3000' }, false, [], false],
    [{ origin: 'https://127.0.0.1:3000' }, true, [], true],
    [{ origin: 'http://127.0.0.1:8233' }, false, [], false],
    [{ origin: 'http://127.0.0.1:8233' }, false, ['http://127.0.0.1:8233'], true],
    [{ origin: 'null' }, false, [], false],
    [{}, false, [], false],
  ])('%j (tls %s, trusted %j) → %s', (headers, secure, trusted, allowed) => {
    expect(originAllowed(request(headers), { secure, trusted })).toBe(allowed);
  });

  it('behind a TLS proxy, the public URL\'s origin is the api\'s own', () => {
    const req = request({ origin: 'https://faas.example.com' });
    expect(originAllowed(req, { secure: true })).toBe(false);
    expect(originAllowed(req, { secure: true, publicOrigin: 'https://faas.example.com' })).toBe(true);
  });

  const key: KeyPrincipal = { kind: 'key', id: 'key_1', name: 'k', namespace: '*', role: 'admin', expiresAt: null };
  const auth = { sessions: createSessionCodec(secret), authenticateDigest: async (d: string) => (d === DIGEST ? key : null), secure: false };
  const cookie = `${SESSION_COOKIE}=${auth.sessions.issue({ keyDigest: DIGEST, expiresAt: Date.now() + 60_000 })}`;

  it('a session is its key for reads from anywhere and for writes from the api\'s own pages only', async () => {
    expect(await sessionCaller(request({ cookie }, 'GET'), auth)).toEqual({ caller: key });
    expect(await sessionCaller(request({ cookie, origin: 'http://127.0.0.1:3000' }), auth)).toEqual({ caller: key });
    expect(await sessionCaller(request({ cookie, origin: 'http://127.0.0.1:4000' }), auth)).toHaveProperty('refused');
    expect(await sessionCaller(request({ cookie }), auth)).toHaveProperty('refused');
    expect(await sessionCaller(request({}), auth)).toEqual({ caller: null });
  });
});
