import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clickhousePing, type Engine, type Progress } from './engines.js';
import { managed, runningPid, startDetached, waitFor } from './processes.js';
import type { StackSettings } from './settings.js';

// The modern engine: ClickHouse 26.x from chDB's npm library (`libchdb.so` is clickhouse-local as a
// shared library). A small C launcher calls its `chdb_query_cmdline` with a command line that opens
// the real HTTP and native listeners and then holds a sleeping query, which keeps them open.
// The README ("Local stack") has the why and the limits.

/** The npm package holding `libchdb.so` (pinned, with its integrity, in clickhouse-modern/npm). */
export const CHDB_LIBRARY = '@chdb/lib-linux-x64-gnu';

/** The held query: one row a block, 3 s a row (sleepEachRow's maximum), for longer than any run. */
const HOLD_QUERY =
  'SELECT sleepEachRow(3) FROM numbers(1000000000) FORMAT Null SETTINGS max_block_size = 1, max_execution_time = 0';

function run(command: string, args: string[], cwd: string, progress: Progress, what: string): Promise<void> {
  progress(`${what}: ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => reject(new Error(`${what} failed: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${what} failed (exit ${code ?? signal}):\n${output.trim().split('\n').slice(-20).join('\n')}`),
        );
    });
  });
}

/** The last lines of a log that say something (ClickHouse's stack frames left out). */
function logTail(file: string): string {
  if (!existsSync(file)) return '(no log)';
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s*\d+\. /.test(line));
  return lines.slice(-8).join('\n');
}

/** The pinned library version, read from the committed manifest. */
export function chdbLibraryVersion(repoRoot: string): string {
  const manifest = JSON.parse(
    readFileSync(path.join(repoRoot, 'infra/local/clickhouse-modern/npm/package.json'), 'utf8'),
  ) as { dependencies?: Record<string, string> };
  const version = manifest.dependencies?.[CHDB_LIBRARY];
  if (!version) throw new Error(`infra/local/clickhouse-modern/npm/package.json does not pin ${CHDB_LIBRARY}`);
  return version;
}

/** The clickhouse-local configuration: listeners on loopback (or the configured host), UTC. */
export function modernConfig(o: { listenHost: string; httpPort: number; tcpPort: number; dataDir: string }): string {
  return `<?xml version="1.0"?>
<!-- Written by keywatch stack up (the modern engine, infra/local/src/clickhouse-modern.ts). -->
<clickhouse>
    <listen_host>${o.listenHost}</listen_host>
    <http_port>${o.httpPort}</http_port>
    <tcp_port>${o.tcpPort}</tcp_port>
    <path>${o.dataDir}/</path>
    <tmp_path>${o.dataDir}/tmp/</tmp_path>
    <user_files_path>${o.dataDir}/user_files/</user_files_path>
    <timezone>UTC</timezone>
    <logger>
        <level>warning</level>
        <console>1</console>
    </logger>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <!-- A developer's machine shared with Kafka and the services. -->
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <!-- A local stack is one node; dropping a big table or partition must not need a flag file. -->
    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
</clickhouse>
`;
}

/** Installs the pinned library from the npm registry into the cache (once) and returns `libchdb.so`. */
async function installLibrary(s: StackSettings, progress: Progress): Promise<string> {
  const version = chdbLibraryVersion(s.repoRoot);
  const dir = path.join(s.cacheDir, `chdb-${version}`);
  const library = path.join(dir, 'node_modules', ...CHDB_LIBRARY.split('/'), 'libchdb.so');
  const stamp = path.join(dir, '.complete');
  if (existsSync(stamp) && existsSync(library)) return library;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the modern ClickHouse needs linux x64 (chDB's ${CHDB_LIBRARY}); this is ${process.platform} ${process.arch}`,
    );
  }
  // Installed into a scratch folder renamed into place, so an interrupted download is never used.
  const scratch = `${dir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(path.join(s.repoRoot, 'infra/local/clickhouse-modern/npm', file), path.join(scratch, file));
  }
  // npm ci checks the lockfile's integrity hash; no scripts run (the package has none we need).
  await run(
    'npm',
    ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    scratch,
    progress,
    `installing ClickHouse (chDB ${version}, about 180 MB) from the npm registry`,
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  writeFileSync(stamp, `${version}\n`);
  return library;
}

/** Compiles the launcher into the cache (once per launcher source) and returns its path. */
async function buildLauncher(s: StackSettings, progress: Progress): Promise<string> {
  const source = path.join(s.repoRoot, 'infra/local/clickhouse-modern/launcher.c');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  // One folder per launcher source; the binary keeps the name ps and the bench's CPU probe look for.
  const dir = path.join(s.cacheDir, 'chdb-launcher', hash);
  const binary = path.join(dir, 'keywatch-chdb');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const scratch = `${binary}.partial-${process.pid}`;
  await run(
    process.env.CC ?? 'gcc',
    ['-O2', '-Wall', '-o', scratch, source, '-ldl'],
    dir,
    progress,
    'compiling the ClickHouse launcher',
  ).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n(the modern ClickHouse needs a C compiler: apt-get install gcc)`,
    );
  });
  renameSync(scratch, binary);
  return binary;
}

/** ClickHouse 26.x (chDB) as a stack engine, on its own ports and data dir. */
export function modernClickhouseEngine(s: StackSettings): Engine {
  const proc = managed(s.stackDir, 'clickhouse-modern');
  const dir = path.join(s.stackDir, 'clickhouse-modern');
  const configFile = path.join(dir, 'config.xml');
  const dataDir = path.join(dir, 'data');
  return {
    name: 'clickhouse',
    address: s.clickhouse.url,
    process: proc,
    healthy: () => clickhousePing(s.clickhouse.url),
    async start(progress) {
      const [library, launcher] = await Promise.all([installLibrary(s, progress), buildLauncher(s, progress)]);
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(
        configFile,
        modernConfig({
          listenHost: s.clickhouse.host === 'localhost' ? '127.0.0.1' : s.clickhouse.host,
          httpPort: s.clickhouse.httpPort,
          tcpPort: s.clickhouse.tcpPort,
          dataDir,
        }),
      );
      progress(`starting ClickHouse (modern, chDB) on ${s.clickhouse.url}, native port ${s.clickhouse.tcpPort}`);
      startDetached(
        proc,
        launcher,
        [
          library,
          `--config-file=${configFile}`,
          `--path=${dataDir}`,
          '--log-level=warning',
          `--query=SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; ${HOLD_QUERY}`,
        ],
        configFile,
      );
      // The first start maps a 566 MB library; later starts take about a second. A launcher that
      // exits (bad config, port taken) fails the start at once, with the end of its log.
      await waitFor(
        'ClickHouse (modern)',
        async () => {
          if (runningPid(proc) === undefined) throw new Error(`ClickHouse (modern) exited:\n${logTail(proc.logFile)}`);
          return this.healthy();
        },
        60_000,
        proc.logFile,
      );
    },
  };
}
