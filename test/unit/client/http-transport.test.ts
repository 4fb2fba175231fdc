import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/client/http-transport.js';

let server: Server;
let base: string;
const seen: Array<{ method?: string; url?: string; body: string; headers: Record<string, unknown> }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body, headers: req.headers });
      if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end('late'), 2000);
      res.statusCode = req.url?.startsWith('/missing') ? 404 : 200;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-seen', 'yes');
      res.end(JSON.stringify({ method: req.method, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('http transport (the client fetch)', () => {
  it('POSTs the body with its length and headers, and reads status, headers and JSON back', async () => {
    const t = createHttpTransport();
    const res = await t.fetch(`${base}/trpc/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}' });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-seen')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":"é"}' });
    expect(seen.at(-1)!.headers['content-length']).toBe(String(Buffer.byteLength('{"a":"é"}')));
    t.close();
  });

  it('passes a non-2xx answer through with its body (tRPC reads the error from it)', async () => {
    const t = createHttpTransport();
    const res = await t.fetch(new URL(`${base}/missing?input=1`));
    expect(res.ok).toBe(false);
    expect(res.status).toBe(404);
    expect(JSON.parse(await res.text())).toEqual({ method: 'GET', body: '' });
    expect(seen.at(-1)!.url).toBe('/missing?input=1');
    t.close();
  });

  it('keeps the connection for the next call', async () => {
    const t = createHttpTransport();
    const ports = new Set<number>();
    server.on('connection', (s) => ports.add(s.remotePort!));
    for (let i = 0; i < 3; i++) await (await t.fetch(`${base}/again`)).text();
    expect(ports.size).toBe(1);
    t.close();
  });

  it('rejects on abort, on a refused connection and on an unsupported protocol', async () => {
    const t = createHttpTransport();
    const ac = new AbortController();
    const pending = t.fetch(`${base}/slow`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toThrow(/abort/i);
    await expect(t.fetch('http://127.0.0.1:1/')).rejects.toThrow(/ECONNREFUSED/);
    await expect(t.fetch('ftp://127.0.0.1/')).rejects.toThrow(/unsupported protocol/);
    t.close();
  });
});

describe('http transport: a kept-alive socket the server closed', () => {
  /** A server that answers every connection's first request with keep-alive and resets a connection on its second. */
  async function resettingServer() {
    const net = await import('node:net');
    const state = { connections: 0 };
    const raw = net.createServer((socket) => {
      const connection = ++state.connections;
      let requests = 0;
      socket.on('data', (chunk) => {
        if (!chunk.toString().includes('\r\n\r\n')) return;
        if (++requests > 1) return void socket.resetAndDestroy();
        const body = JSON.stringify({ connection });
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: keep-alive\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    return { state, url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/x`, close: () => new Promise<void>((resolve) => raw.close(() => resolve())) };
  }

  it('after a burst, every idle socket closed at once: the request goes through on a new one', async () => {
    const s = await resettingServer();
    const t = createHttpTransport();
    try {
      // Three calls at once leave three idle sockets; the server then resets each one that is reused.
      const burst = await Promise.all([1, 2, 3].map(async () => (await t.fetch(s.url)).json()));
      expect(burst).toHaveLength(3);
      expect(await (await t.fetch(s.url)).json()).toEqual({ connection: 4 });
    } finally {
      t.close();
      await s.close();
    }
  });

  it('sends the request again once, on a new socket', async () => {
    const s = await resettingServer();
    const t = createHttpTransport();
    try {
      expect(await (await t.fetch(s.url)).json()).toEqual({ connection: 1 });
      expect(await (await t.fetch(s.url)).json()).toEqual({ connection: 2 });
    } finally {
      t.close();
      await s.close();
    }
  });
});
