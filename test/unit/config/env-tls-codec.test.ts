// The api's TLS files and the codec endpoint's browser origins, as loadConfig reads them.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';

describe('CAISSON_TLS_CERT / CAISSON_TLS_KEY', () => {
  it('both: https, and the api url defaults to https', () => {
    const config = loadConfig({ CAISSON_TLS_CERT: '/etc/c/cert.pem', CAISSON_TLS_KEY: '/etc/c/key.pem', CAISSON_API_PORT: '3443' });
    expect(config.api.tls).toEqual({ certFile: '/etc/c/cert.pem', keyFile: '/etc/c/key.pem' });
    expect(config.api.url).toBe('https://127.0.0.1:3443');
  });

  it('neither: plain http', () => {
    const config = loadConfig({});
    expect(config.api.tls).toBeUndefined();
    expect(config.api.url).toBe('http://127.0.0.1:3000');
  });

  it.each([{ CAISSON_TLS_CERT: '/c.pem' }, { CAISSON_TLS_KEY: '/k.pem' }])('one without the other is refused: %o', (env) => {
    expect(() => loadConfig(env)).toThrow(/CAISSON_TLS_CERT and CAISSON_TLS_KEY/);
  });
});

describe('CAISSON_CODEC_ORIGINS', () => {
  it("defaults to the dev Web UI's origins", () => {
    expect(loadConfig({ TEMPORAL_UI_PORT: '9000' }).api.codecOrigins).toEqual(['http://127.0.0.1:9000', 'http://localhost:9000']);
  });

  it('takes a comma-separated list (a trailing slash dropped)', () => {
    expect(loadConfig({ CAISSON_CODEC_ORIGINS: 'https://ui.example.com/, http://127.0.0.1:8080' }).api.codecOrigins)
      .toEqual(['https://ui.example.com', 'http://127.0.0.1:8080']);
  });
});
