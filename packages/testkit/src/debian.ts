import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

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
 * Installs a Debian package with apt when `binary` is missing (CI starts from a fresh machine).
 * apt runs under an exclusive `flock` on /tmp/keywatch-apt.lock, so test workers never fight over
 * dpkg's lock; the check is repeated inside the lock so only the first one installs.
 */
export async function ensureDebianBinary(binary: string, pkg: string): Promise<string> {
  if (existsSync(binary)) return binary;
  if (process.getuid?.() !== 0)
    throw new Error(`${binary} is missing; run: sudo apt-get update && sudo apt-get install -y ${pkg}`);
  const script = `test -x ${binary} || { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=600 ${pkg}; }`;
  await run('flock', ['/tmp/keywatch-apt.lock', 'sh', '-c', script]);
  if (!existsSync(binary)) throw new Error(`apt-get install ${pkg} finished but ${binary} is missing`);
  return binary;
}
