// The Temporal Web UI shows decoded payloads to an operator logged in to the api: a dev server
// with its Web UI and --ui-codec-endpoint naming the api's /codec, the real browser logged in
// at the api's /ui (session cookie), and the UI's codec setting "include credentials" on. Without
// the credentials the same page shows no plain payload (the codec endpoint refuses it).
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { launchBrowser, openPage, screenshot } from '../support/browser.js';
import { deployDir } from '../support/deploy.js';
import { freePort } from '../support/ports.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const MARKER = `WEBUI-MARKER-${randomBytes(5).toString('hex')}`;
let server: DevServer;
let stack: TestStack;
let browser: Browser;
let page: Page;
let uiUrl: string;
let invocationId: string;

beforeAll(async () => {
  const [apiPort, port, uiPort] = [await freePort(), await freePort(), await freePort()];
  const home = join(process.cwd(), '.caisson');
  server = await startDevServer({
    cli: findTemporalCli(home), port, uiPort, namespace: 'default', logFile: join(home, 'logs', 'temporal-webui-test.log'),
    uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec`,
  });
  uiUrl = server.uiUrl!;
  stack = await startTestStack({
    name: 'webui',
    env: { TEMPORAL_ADDRESS: server.address, CAISSON_API_PORT: String(apiPort), CAISSON_CODEC_ORIGINS: uiUrl },
  });
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-hello-script', name: 'hello', runtime: 'python' });
  const v = await stack.client.invocations.invoke.mutate({ function: 'hello', payload: { name: MARKER } });
  expect(v.status).toBe('SUCCEEDED');
  invocationId = v.id;
  browser = await launchBrowser();
  page = (await openPage(browser)).page;
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
});

/** The UI's POST to the codec endpoint (it adds ?preserveStorageRefs=true). */
const isDecode = (r: Response) => new URL(r.url()).pathname === '/codec/decode' && r.request().method() === 'POST';
const workflowPage = () => `${uiUrl}/namespaces/default/workflows/${invocationId}`;

/** The Web UI's codec settings as its settings dialog stores them (browser-local, per origin). */
async function includeCredentials(endpoint: string): Promise<void> {
  await page.goto(uiUrl);
  const settings = { endpoint: JSON.stringify(endpoint), overrideRemoteCodecConfiguration: 'true', includeCredentials: 'true' };
  // (a string: this file is type-checked without the DOM lib)
  await page.evaluate(`for (const [k, v] of Object.entries(${JSON.stringify(settings)})) localStorage.setItem(k, v)`);
}

describe('Temporal Web UI with the codec endpoint', () => {
  it('without the session cookie the workflow\'s input stays ciphertext', async () => {
    await page.goto(`${stack.api.url}/ui/`);
    await page.getByLabel('Api key').fill(stack.adminKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'hello' }).waitFor();
    // The UI asks the codec endpoint (configured by --ui-codec-endpoint) without the cookie: refused.
    const decode = page.waitForResponse((r) => isDecode(r), { timeout: 60_000 });
    await page.goto(workflowPage());
    expect((await decode).status()).toBe(401);
    await page.getByText(invocationId).first().waitFor({ timeout: 60_000 });
    expect(await page.content()).not.toContain(MARKER);
  });

  it('logged in at the api and with "include credentials", the UI shows the decoded input', async () => {
    await includeCredentials(`${stack.api.url}/codec`);
    const decode = page.waitForResponse((r) => isDecode(r), { timeout: 60_000 });
    await page.goto(workflowPage());
    expect((await decode).status()).toBe(200);
    await page.getByText(MARKER).first().waitFor({ timeout: 60_000 });
    await screenshot(page, 'temporal-ui-decoded');
  });
});
