/**
 * Debian's chromium driven by playwright-core (never a downloaded browser). Locally a browser test
 * skips, saying so, when chromium is not installed; in CI (CI=true) a missing chromium is a
 * failure, and .ci/run installs it.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

export const chromiumPath = findChromium();
if (!chromiumPath && process.env.CI) throw new Error('chromium is not installed, and CI must run the browser tests (.ci/run installs it: apt-get install -y chromium)');

/** `false`, or why the browser tests are skipped here (never in CI). */
export const skipWithoutBrowser: false | string = chromiumPath ? false : 'chromium is not installed (apt-get install -y chromium); the browser test is skipped here, never in CI';

/** Headless chromium, quiet, no network of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
