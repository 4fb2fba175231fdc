// The dashboard in a real browser (Debian's Chromium through playwright-core) against the real
// stack: a wrong key is refused, an admin key logs in, a function deployed through the api is
// listed and invoked from its page, the result and logs show, the invocation list filters, a
// dead letter is replayed on the function's latest version, and no page breaks the CSP.
// Screenshots go to docs/images/ (the README shows them).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCode } from '../../src/cli/code-package.js';
import { ensureDashboardBuilt, launchBrowser, openPage, screenshot, type WatchedPage } from '../support/browser.js';
import { deployDir } from '../support/deploy.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let failedId: string;

beforeAll(async () => {
  ensureDashboardBuilt();
  stack = await startTestStack({ name: 'dashboard' });
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-hello-script', name: 'hello', runtime: 'python' });
  // shaky v1 always fails (a dead letter); v2 answers: a replay on the latest version succeeds.
  await deployDir(stack.client, { dir: 'test/fixtures/functions/py-fail', name: 'shaky', runtime: 'python' });
  const failed = await stack.client.invocations.invoke.mutate({ function: 'shaky', payload: { name: 'again' } });
  expect(failed.status).toBe('FAILED');
  failedId = failed.id;
  const v2 = await packCode(`${process.cwd()}/test/fixtures/functions/py-hello-script`);
  await stack.client.functions.update.mutate({ name: 'shaky', code: v2.code, fileName: v2.fileName });
  browser = await launchBrowser();
  watched = await openPage(browser);
  page = watched.page;
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('dashboard', () => {
  it('refuses a wrong key and logs in with a right one', async () => {
    await page.goto(`${stack.api.url}/ui/`);
    await page.getByLabel('Api key').fill('csk_not-a-key');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid/);
    await screenshot(page, 'dashboard-login-refused');
    expect(await page.getByRole('link', { name: 'Functions' }).count()).toBe(0);

    await page.getByLabel('Api key').fill(stack.adminKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'hello' }).waitFor();
    expect(await page.getByRole('link', { name: 'shaky' }).count()).toBe(1);
    // The key is in no script-readable place: the cookie is HttpOnly and names a digest.
    expect(await page.evaluate('document.cookie')).toBe(''); // (a string: this file is type-checked without the DOM lib)
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['caisson_session', true, 'Strict']]);
    expect(cookies[0]!.value).not.toContain(stack.adminKey.slice(4));
    await screenshot(page, 'dashboard-functions');
  });

  it('shows a function\'s versions and invokes it from its page; the result, logs and Temporal link show', async () => {
    await page.getByRole('link', { name: 'shaky' }).click();
    await page.getByText('Versions (deploy history)').waitFor();
    expect(await page.locator('tbody tr', { hasText: 'v2' }).count()).toBe(1);
    expect(await page.locator('tbody tr', { hasText: 'v1' }).count()).toBe(1);

    await page.goto(`${stack.api.url}/ui/#/functions/hello`);
    await page.getByLabel('Payload (JSON)').fill('{"name": "Browser"}');
    await page.getByRole('button', { name: 'Invoke' }).click();
    const result = page.getByTestId('invoke-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.textContent()).toContain('SUCCEEDED');
    expect(await result.textContent()).toContain('Hello, Browser!');
    await screenshot(page, 'dashboard-invoke');

    await result.getByRole('link', { name: /^inv_/ }).click();
    await page.getByTestId('stderr').waitFor();
    expect(await page.getByTestId('stderr').textContent()).toContain('hello from stderr');
    const id = decodeURIComponent(page.url().split('/').pop()!);
    const link = await page.getByTestId('temporal-link').getAttribute('href');
    expect(link).toBe(`${stack.config.api.codecOrigins[0]}/namespaces/${stack.config.temporal.namespace}/workflows/${id}`);
    await screenshot(page, 'dashboard-invocation');
  });

  it('filters invocations by status, failure kind and cold/warm', async () => {
    await page.goto(`${stack.api.url}/ui/#/invocations?status=FAILED`);
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(failedId);
    await page.goto(`${stack.api.url}/ui/#/invocations?kind=FunctionTimeout`);
    await page.getByText('No invocations match.').waitFor();
    // The api's own filters, as the page calls them.
    const cold = await stack.client.invocations.list.query({ cold: true });
    const warm = await stack.client.invocations.list.query({ cold: false });
    expect(cold.items.length + warm.items.length).toBe(2);
    expect((await stack.client.invocations.list.query({ errorKind: 'FunctionError' })).items.map((i) => i.id)).toEqual([failedId]);
    expect((await stack.client.invocations.list.query({ since: new Date(Date.now() + 60_000).toISOString() })).items).toEqual([]);
    await page.goto(`${stack.api.url}/ui/#/invocations`);
    await rows.nth(1).waitFor();
    await screenshot(page, 'dashboard-invocations');
  });

  it('replays a dead letter on the latest version; the replay succeeds', async () => {
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const row = page.locator('tr', { hasText: failedId });
    await row.waitFor();
    await row.getByRole('button', { name: 'Replay on latest' }).click();
    const replayed = row.getByTestId('replayed-as');
    await replayed.waitFor();
    await screenshot(page, 'dashboard-dead-letters');
    const replayId = (await replayed.textContent())!.trim();
    // Its page reads it again while it runs, until it ends.
    await replayed.click();
    await page.getByText('Replay of').waitFor();
    await expect.poll(() => page.locator('[data-status]').first().getAttribute('data-status'), { timeout: 60_000 }).toBe('SUCCEEDED');
    expect(await stack.client.invocations.get.query({ id: replayId })).toMatchObject({ status: 'SUCCEEDED', version: 2, replayOf: failedId });
  });

  it('shows a chain\'s step tree, and a chain invocation\'s steps with their status', async () => {
    await stack.client.chains.create.mutate({ definition: {
      name: 'greet',
      steps: [
        { name: 'first', function: 'hello', input: { name: '$.input.name' } },
        { name: 'fan', parallel: { left: { function: 'hello' }, right: { function: 'shaky' } } },
      ],
    } });
    const run = await stack.client.chains.invoke.mutate({ name: 'greet', input: { name: 'Chain' } });
    expect(run.status).toBe('SUCCEEDED');
    await page.getByRole('link', { name: 'Chains' }).click();
    await page.getByRole('link', { name: 'greet' }).click();
    const tree = page.getByTestId('chain-tree');
    await tree.waitFor();
    expect(await tree.textContent()).toMatch(/first.*function.*hello.*fan.*parallel.*left.*hello.*right.*shaky/s);
    await page.getByRole('link', { name: run.id }).click();
    const steps = page.getByTestId('step-tree');
    await steps.waitFor();
    // Two steps and their three units (first's call, fan's two branches), each with its own invocation.
    expect(await steps.locator(':scope > li').count()).toBe(2);
    expect(await steps.locator('a[href^="#/invocations/"]').count()).toBe(3);
    expect(await steps.locator('[data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))))
      .toEqual(Array(5).fill('SUCCEEDED'));
    expect(await page.getByRole('link', { name: 'greet' }).getAttribute('href')).toBe('#/chains/greet');
    await steps.scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-chain');
  });

  it('lists keys and secret names, never a value', async () => {
    await stack.client.secrets.create.mutate({ namespace: 'default', name: 'db-password', value: 'never-shown-9f3a' });
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByText('db-password').waitFor();
    expect(await page.content()).not.toContain('never-shown-9f3a');
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('cell', { name: 'test dashboard' }).waitFor();
  });

  it('broke no Content-Security-Policy rule and threw no script error', () => {
    expect(watched.problems).toEqual([]);
  });
});
