// A headless Chromium page for the live page's tests (Debian's chromium, driven by puppeteer-core),
// with every console error, page error and failed request collected; closed with the file's analyzer.
import type { ChildProcess } from 'node:child_process';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll } from 'vitest';
import type { Served } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** After the file's tests: the browser closed, then the processes killed, then `cleanup`. */
export function useBrowser(processes: { analyzer: Served; writer: ChildProcess }, cleanup: () => void) {
  let browser: Browser | null = null;
  afterAll(async () => {
    await browser?.close();
    processes.writer.kill('SIGKILL');
    processes.analyzer.child.kill('SIGKILL');
    await processes.analyzer.exited;
    cleanup();
  });
  return {
    async page(): Promise<{ page: Page; errors: string[] }> {
      browser ??= await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
      return { page, errors };
    },
  };
}
