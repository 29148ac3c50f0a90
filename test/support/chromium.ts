import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => reject(new Error(`${command} failed: ${error.message}`)));
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${command} ${args.join(' ')} failed (exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`,
            ),
          ),
    );
  });
}

/**
 * Installs Debian's `chromium` with apt when /usr/bin/chromium is missing. apt runs under an
 * exclusive `flock` on /tmp/keywatch-apt.lock, so test workers (and other processes on the machine)
 * never fight over dpkg's lock; the check is repeated inside the lock so only the first one installs.
 */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0)
    throw new Error(`${CHROMIUM_PATH} is missing; run: sudo apt-get update && sudo apt-get install -y chromium`);
  const script = `test -x ${CHROMIUM_PATH} || { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=600 chromium; }`;
  await run('flock', ['/tmp/keywatch-apt.lock', 'sh', '-c', script]);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get install chromium finished but ${CHROMIUM_PATH} is missing`);
  return CHROMIUM_PATH;
}

/** Chromium with a fresh profile (playwright creates a temporary --user-data-dir per launch and removes it on close). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium();
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
