// The dashboard's Schedules, Live logs and Metrics pages in a real browser (Debian's Chromium
// through playwright-core) against the real stack: a schedule is listed with its next runs,
// paused, resumed and triggered from the page, and its fire links to its invocation; a running
// invocation's first line shows on its page before it ends; the Metrics page's counter moves
// after an invoke, and metrics.summary refuses every key but an admin of every namespace.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDashboardBuilt, launchBrowser, openPage, screenshot, type WatchedPage } from '../support/browser.js';
import { deployDir } from '../support/deploy.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
let browser: Browser;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  ensureDashboardBuilt();
  stack = await startTestStack({ name: 'dashlive' });
  await Promise.all([
    deployDir(stack.client, { dir: 'test/fixtures/functions/py-hello-script', name: 'hello', runtime: 'python' }),
    deployDir(stack.client, { dir: 'test/fixtures/functions/py-live-logs', name: 'slow', runtime: 'python', timeoutMs: 30_000 }),
  ]);
  await stack.client.schedules.create.mutate({ name: 'nightly', target: { kind: 'function', name: 'hello' }, payload: { name: 'Cron' }, cron: '0 3 * * *' });
  browser = await launchBrowser();
  watched = await openPage(browser);
  page = watched.page;
  await page.goto(`${stack.api.url}/ui/`);
  await page.getByLabel('Api key').fill(stack.adminKey);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('link', { name: 'hello' }).waitFor();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('dashboard: schedules, live logs, metrics', () => {
  it('lists a schedule with its next runs; pauses, resumes and triggers it; its fire links to its invocation', async () => {
    await page.getByRole('link', { name: 'Schedules' }).click();
    const row = page.getByTestId('schedule-nightly');
    await row.waitFor();
    expect(await row.textContent()).toContain('cron 0 3 * * *');
    const next = (await stack.client.schedules.get.query({ name: 'nightly' })).nextRunTimes;
    expect(next.length).toBeGreaterThan(0);
    expect(await row.getByTestId('next-runs').locator('time').first().getAttribute('datetime')).toBe(next[0]);

    await row.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => row.getByTestId('state').textContent()).toMatch(/^paused/);
    expect((await stack.client.schedules.get.query({ name: 'nightly' })).paused).toBe(true);
    await screenshot(page, 'dashboard-schedules');
    await row.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => row.getByTestId('state').textContent()).toMatch(/^active/);
    expect((await stack.client.schedules.get.query({ name: 'nightly' })).paused).toBe(false);

    await row.getByRole('button', { name: 'Trigger now' }).click();
    const fire = row.locator('a[href^="#/invocations/inv_k"]');
    await expect.poll(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return fire.count();
    }, { timeout: 60_000, interval: 1000 }).toBe(1);
    await fire.click();
    await expect.poll(() => page.locator('[data-status]').first().getAttribute('data-status'), { timeout: 60_000 }).toBe('SUCCEEDED');
    expect(await page.getByTestId('stdout').textContent()).toContain('Hello, Cron!');
  });

  it('shows a running invocation\'s first line on its page before it ends, then its whole output', async () => {
    const { id } = await stack.client.invocations.start.mutate({ function: 'slow', payload: { sleep: 8 } });
    await page.goto(`${stack.api.url}/ui/#/invocations/${id}`);
    const stdout = page.getByTestId('live-stdout');
    await expect.poll(() => stdout.textContent(), { timeout: 60_000 }).toContain('live-first');
    // Seen while it still sleeps: its second line is not written yet.
    expect((await stack.client.invocations.get.query({ id })).status).toBe('RUNNING');
    expect(await stdout.textContent()).not.toContain('live-second');
    expect(await page.getByTestId('live-stderr').textContent()).toContain('live-err');
    await screenshot(page, 'dashboard-live-logs');
    await expect.poll(() => page.locator('[data-status]').first().getAttribute('data-status'), { timeout: 60_000 }).toBe('SUCCEEDED');
    expect(await page.getByTestId('stdout').textContent()).toContain('live-second');
  });

  it('shows the invocation counter moving after an invoke', async () => {
    await page.getByRole('link', { name: 'Metrics' }).click();
    const total = page.getByTestId('metric-invocations');
    await total.waitFor();
    const before = Number(await total.textContent());
    expect(before).toBeGreaterThanOrEqual(2); // the scheduled fire and the slow invocation above
    expect((await stack.client.invocations.invoke.mutate({ function: 'hello', payload: { name: 'Metrics' } })).status).toBe('SUCCEEDED');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(async () => Number(await total.textContent())).toBe(before + 1);
    expect(await page.getByTestId('bar-Succeeded').textContent()).toBe(`Succeeded${before + 1}`);
    expect(await page.getByRole('img', { name: 'invocations by start' }).textContent()).toMatch(/warm|cold/);
    await screenshot(page, 'dashboard-metrics');
  });

  it('metrics.summary: only an admin key of every namespace reads it', async () => {
    expect((await stack.client.metrics.summary.query()).invocations).toBeGreaterThanOrEqual(3);
    for (const [namespace, role] of [['default', 'admin'], ['*', 'reader'], ['*', 'developer'], ['default', 'invoker']] as const) {
      const { client } = await stack.clientWithKey({ namespace, role });
      await expect(client.metrics.summary.query(), `${role} of ${namespace}`).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    }
  });

  it('broke no Content-Security-Policy rule and threw no script error', () => {
    expect(watched.problems).toEqual([]);
  });
});
