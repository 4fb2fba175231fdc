// Who the caller is by address (X-Forwarded-For believed only from trusted proxies), and the
// process-side of the shared rate limit: what it asks the database, what it remembers, what it answers.
import { describe, expect, it } from 'vitest';
import { clientAddress, trustedProxies } from '../../../src/api/http-trigger/client-address.js';
import { TriggerLimitError } from '../../../src/api/http-trigger/limits.js';
import { createTriggerRateLimit } from '../../../src/api/http-trigger/rate-limit.js';
import type { TakeTokenInput, TakeTokenResult } from '../../../src/db/index.js';
import { loadConfig } from '../../../src/config/env.js';
import { trustedProxyProblem } from '../../../src/shared/addresses.js';
import { callerColumns, callerOf } from '../../../src/shared/caller.js';
import { HttpTriggerSettingsSchema } from '../../../src/shared/http-trigger.js';

describe('client address', () => {
  const proxies = trustedProxies(['10.0.0.0/8', '::1', 'fd00::/8']);
  it.each([
    ['no proxies trusted: the peer, whatever the header says', [], '203.0.113.9', '1.2.3.4', '203.0.113.9'],
    ['an untrusted peer: its own address (a spoofed header ignored)', ['10.0.0.0/8'], '203.0.113.9', '1.2.3.4', '203.0.113.9'],
    ['an IPv4-mapped peer is normalised', [], '::ffff:127.0.0.2', undefined, '127.0.0.2'],
    ['a trusted proxy: the client it saw', ['10.0.0.0/8'], '10.1.2.3', '198.51.100.7', '198.51.100.7'],
    ['two trusted hops: the rightmost untrusted entry', ['10.0.0.0/8'], '10.1.2.3', '6.6.6.6, 198.51.100.7, 10.9.9.9', '198.51.100.7'],
    ['a trusted proxy with no header: the proxy', ['10.0.0.0/8'], '10.1.2.3', undefined, '10.1.2.3'],
    ['junk where an address belongs: the last trusted hop', ['10.0.0.0/8'], '10.1.2.3', 'evil, not-an-ip', '10.1.2.3'],
    ['every hop trusted: the leftmost', ['10.0.0.0/8'], '10.1.2.3', '10.0.0.1, 10.0.0.2', '10.0.0.1'],
    ['IPv6 proxy and client', ['fd00::/8'], 'fd00::1', '2001:db8::5', '2001:db8::5'],
    ['a proxy listed IPv4-mapped, seen as IPv4', ['::ffff:10.0.0.1'], '::ffff:10.0.0.1', '198.51.100.7', '198.51.100.7'],
  ] as Array<[string, string[], string, string | undefined, string]>)('%s', (_name, list, peer, forwardedFor, expected) => {
    expect(clientAddress({ peer, forwardedFor }, trustedProxies(list))).toBe(expected);
  });

  it('reads repeated X-Forwarded-For headers as one list, and at most 32 hops of it', () => {
    expect(clientAddress({ peer: '10.0.0.9', forwardedFor: ['198.51.100.1', '10.0.0.5'] }, proxies)).toBe('198.51.100.1');
    const long = Array.from({ length: 5000 }, () => '10.0.0.1').join(',');
    expect(clientAddress({ peer: '10.0.0.9', forwardedFor: `1.1.1.1,${long}` }, proxies)).toBe('10.0.0.1');
  });

  it.each(['10.0.0.0/33', 'example.com', '1.2.3.4/x', '1.2.3.4/8/1', '::1/129'])('refuses %s as a trusted proxy', (entry) => {
    expect(trustedProxyProblem(entry)).toMatch(/not an IP|prefix/);
    expect(() => loadConfig({ CAISSON_TRUSTED_PROXIES: `127.0.0.1, ${entry}` })).toThrow(/CAISSON_TRUSTED_PROXIES|not an IP|prefix/);
  });

  it('config: none trusted by default', () => {
    expect(loadConfig({}).triggers).toMatchObject({ trustedProxies: [], rateClients: 10_000 });
    expect(loadConfig({ CAISSON_TRUSTED_PROXIES: ' 10.0.0.0/8 ,::1' }).triggers.trustedProxies).toEqual(['10.0.0.0/8', '::1']);
  });
});

describe('caller columns', () => {
  it.each([
    [{ kind: 'key', keyId: 'k1', keyName: 'ci', address: '10.0.0.1' }],
    [{ kind: 'key', keyId: 'k1', keyName: 'ci' }],
    [{ kind: 'anonymous', address: '203.0.113.9' }],
  ] as const)('round-trips %j', (caller) => expect(callerOf(callerColumns(caller))).toEqual(caller));
  it('none recorded: null', () => expect(callerOf(callerColumns(undefined))).toBeNull());
});

describe('rate limit (process side)', () => {
  const fn = { namespace: 'default', name: 'f' };
  const pub = HttpTriggerSettingsSchema.parse({ access: 'public', rateLimitPerS: 2 });

  /** The database's answers, scripted: a bucket per client that never refills, and a row cap. */
  function fakeDb(maxRows = 100) {
    const tokens = new Map<string, number>();
    const calls: TakeTokenInput[] = [];
    let sweeps = 0;
    return {
      calls, get sweeps() { return sweeps; }, tokens,
      deps: {
        maxClients: maxRows,
        async takeToken(input: TakeTokenInput): Promise<TakeTokenResult> {
          calls.push(input);
          const held = tokens.get(input.client);
          if (held === undefined && tokens.size >= maxRows) return { allowed: false, reason: 'clients' };
          const t = held ?? Math.max(1, input.perS);
          if (t < 1) return { allowed: false, reason: 'rate', tokens: t, waitS: (1 - t) / input.perS };
          tokens.set(input.client, t - 1);
          return { allowed: true };
        },
        async sweepFull() { sweeps++; tokens.clear(); return 1; },
      },
    };
  }

  it('asks the database for every allowed call; remembers a refusal until the bucket could hold a token', async () => {
    let t = 0;
    const db = fakeDb();
    const rate = createTriggerRateLimit({ ...db.deps, now: () => t });
    await rate.checkRate(fn, pub, 'a');
    await rate.checkRate(fn, pub, 'a');
    const refused = await rate.checkRate(fn, pub, 'a').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TriggerLimitError);
    expect((refused as TriggerLimitError).retryAfterS).toBe(1);
    expect(db.calls).toHaveLength(3);
    // Refused again from memory, without a query, until 500 ms (one token at 2/s) have passed.
    t = 499;
    await expect(rate.checkRate(fn, pub, 'a')).rejects.toThrow(/at most 2 requests a second/);
    expect(db.calls).toHaveLength(3);
    t = 500;
    db.tokens.set('a', 1);
    await rate.checkRate(fn, pub, 'a');
    expect(db.calls).toHaveLength(4);
    // Another client has its own bucket.
    await rate.checkRate(fn, pub, 'b');
    expect(db.calls.map((c) => c.client)).toEqual(['a', 'a', 'a', 'a', 'b']);
    expect(db.calls[0]).toEqual({ namespace: 'default', functionName: 'f', client: 'a', perS: 2, maxClients: 100 });
  });

  it('private functions and functions without a limit cost no query', async () => {
    const db = fakeDb();
    const rate = createTriggerRateLimit(db.deps);
    for (let i = 0; i < 5; i++) {
      await rate.checkRate(fn, HttpTriggerSettingsSchema.parse({ rateLimitPerS: 1 }), 'a');
      await rate.checkRate(fn, HttpTriggerSettingsSchema.parse({ access: 'public' }), 'a');
    }
    expect(db.calls).toHaveLength(0);
  });

  it('at maxClients: sweeps full rows (once a second at most) and tries again, else refuses the new client', async () => {
    let t = 0;
    const db = fakeDb(1);
    const rate = createTriggerRateLimit({ ...db.deps, now: () => t });
    await rate.checkRate(fn, pub, 'a');
    await rate.checkRate(fn, pub, 'b'); // swept 'a' away, then admitted
    expect(db.sweeps).toBe(1);
    await expect(rate.checkRate(fn, pub, 'c')).rejects.toThrow(/rate limiting 1 client addresses already/);
    expect(db.sweeps).toBe(1);
    t = 1000;
    await rate.checkRate(fn, pub, 'c');
    expect(db.sweeps).toBe(2);
  });
});
