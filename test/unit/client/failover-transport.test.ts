import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFailoverTransport, mayRetry } from '../../../src/client/failover-transport.js';
import { freePort } from '../../support/ports.js';

/** A server that answers with its name, or drops the connection mid-request on /drop. */
function namedServer(name: string, hits: string[]): Server {
  return createServer((req, res) => {
    hits.push(`${name} ${req.method} ${req.url}`);
    if (req.url?.startsWith('/drop')) return void req.socket.destroy();
    res.end(name);
  });
}

const hits: string[] = [];
let a: Server, b: Server, urlA: string, urlB: string, closed: string;
beforeAll(async () => {
  a = namedServer('a', hits);
  b = namedServer('b', hits);
  await new Promise<void>((r) => a.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => b.listen(0, '127.0.0.1', r));
  urlA = `http://127.0.0.1:${(a.address() as AddressInfo).port}`;
  urlB = `http://127.0.0.1:${(b.address() as AddressInfo).port}`;
  closed = `http://127.0.0.1:${await freePort()}`; // nothing listens there
});
afterAll(() => { a.close(); b.close(); });

describe('mayRetry', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true, false, true],
    [{ code: 'ECONNREFUSED' }, false, false, true],
    [{ code: 'ECONNRESET' }, false, false, true],
    [{ code: 'ECONNRESET' }, true, false, false],
    [{ code: 'ECONNRESET' }, true, true, true],
    [new Error('socket hang up'), true, false, false],
    [new Error('socket hang up'), false, false, true],
    [new TypeError('unsupported protocol'), false, true, false],
    [undefined, false, true, false],
  ])('%o mutation=%s retryDropped=%s → %s', (err, mutation, retryDroppedMutations, expected) => {
    expect(mayRetry(err, { mutation, retryDroppedMutations })).toBe(expected);
  });
});

describe('failover transport', () => {
  it('sends to the first api that answers, keeping path and query, and stays there', async () => {
    hits.length = 0;
    const t = createFailoverTransport({ urls: [closed, urlB, urlA] });
    expect(await (await t.fetch(`${closed}/trpc/x?input=1`)).text()).toBe('b');
    expect(await (await t.fetch(`${closed}/trpc/y`, { method: 'POST', body: '{}' })).text()).toBe('b');
    expect(hits).toEqual(['b GET /trpc/x?input=1', 'b POST /trpc/y']);
    t.close();
  });

  it('a mutation dropped mid-request is not sent again unless the caller says its mutations are idempotent', async () => {
    hits.length = 0;
    const strict = createFailoverTransport({ urls: [urlA, urlB], rounds: 1 });
    await expect(strict.fetch(`${urlA}/drop`, { method: 'POST', body: '{}' })).rejects.toThrow();
    expect(hits).toEqual(['a POST /drop']);
    hits.length = 0;
    const idempotent = createFailoverTransport({ urls: [urlA, urlB], rounds: 1, retryDroppedMutations: true });
    await expect(idempotent.fetch(`${urlA}/drop`, { method: 'POST', body: '{}' })).rejects.toThrow();
    expect(hits).toEqual(['a POST /drop', 'b POST /drop']);
    strict.close();
    idempotent.close();
  });

  it('gives up after its rounds when no api can be reached, with the last error', async () => {
    const t = createFailoverTransport({ urls: [closed], rounds: 2 });
    await expect(t.fetch(`${closed}/trpc/x`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(() => createFailoverTransport({ urls: [] })).toThrow(/urls is empty/);
  });
});
