// Debian's Chromium driven by playwright-core (which downloads no browser): found or installed
// by scripts/setup/chromium.sh. Pages record Content-Security-Policy violations and script errors,
// so a test can assert there were none.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export function chromiumPath(): string {
  return execFileSync('bash', ['scripts/setup/chromium.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the suite runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}

export interface WatchedPage {
  page: Page;
  /** CSP violations and uncaught script errors seen so far. */
  problems: string[];
}

export async function openPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  return { page, problems };
}

/**
 * A screenshot: under .caisson/screenshots, or with CAISSON_UPDATE_SCREENSHOTS=1 under
 * docs/images/ (the README's figures, committed: keep them small), so a test run leaves the
 * committed ones alone.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.CAISSON_UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs', 'images') : join(process.cwd(), '.caisson', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

/** dist/ and dist/ui as the sources are (scripts/build.sh: quick when current), since the api serves the built pages. */
export function ensureDashboardBuilt(): void {
  execFileSync('bash', ['scripts/build.sh'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
