import { ensureDebianBinary } from '@keywatch/testkit/support';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; no test tool may download a browser of its own on these machines. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that make Chromium run as root, headless, and quiet on a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's `chromium`, installed with apt when /usr/bin/chromium is missing. */
export function ensureChromium(): Promise<string> {
  return ensureDebianBinary(CHROMIUM_PATH, 'chromium');
}

/** Chromium with a fresh profile (playwright creates a temporary --user-data-dir per launch and removes it on close). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium();
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
