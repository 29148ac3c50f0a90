/**
 * Processes as the benchmarks see them: CPU time from `/proc`, the process tree under the
 * benchmark and its resident memory. Workers are started by the testkit's `startService`.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rssMb } from '@keywatch/testkit/support';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds `pid` has used so far, or NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores; `/proc/stat` minus idle and iowait). */
export function machineCpuSeconds(): number {
  try {
    const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const v = values.map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - (v[3] ?? 0) - (v[4] ?? 0)) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** A short name for a process: `<service>` for our services, `<service>/bench-child` for a bench's child, else the executable's name. */
export function processLabel(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const service = args.map((a) => /services\/([\w-]+)\/src\/([\w-]+)\.ts$/.exec(a)).find(Boolean);
    if (service) return service[2] === 'main' ? (service[1] ?? 'node') : `${service[1]}/${service[2]}`;
    // The benches' own child processes (bench/src/<suite>/child.ts) under the labels earlier results use.
    const child = args.map((a) => /bench\/src\/([\w-]+)\/child\.ts$/.exec(a)).find(Boolean);
    if (child) return `${child[1] === 'detect' ? 'detector-worker' : (child[1] ?? 'bench')}/bench-child`;
    if (args.some((a) => a === 'kafka.Kafka')) return 'kafka';
    return path.basename(args[0] ?? readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
  } catch {
    return `pid ${pid}`;
  }
}

/** Every process whose parent chain leads to `root` (not `root` itself). */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.split(') ')[1]?.split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    for (let depth = 0; p !== undefined && p > 1 && depth < 20; depth += 1) {
      if (p === root) {
        out.push(pid);
        break;
      }
      p = parent.get(p);
    }
  }
  return out;
}

/** Pids of processes whose executable name (`/proc/<pid>/comm`) is `name`, e.g. `clickhouse-serv`. */
export function pidsNamed(name: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** The shared engines' server processes on this machine (ClickHouse, the Kafka JVM), if local. */
export function enginePids(): { clickhouse: number[]; kafka: number[] } {
  const java = pidsNamed('java').filter((pid) => processLabel(pid) === 'kafka');
  // keywatch-chdb: the modern engine's launcher (infra/local/src/clickhouse-modern.ts).
  const clickhouse = pidsNamed('clickhouse-serv').concat(pidsNamed('clickhouse-server'), pidsNamed('keywatch-chdb'));
  return { clickhouse, kafka: java };
}

/** CPU seconds so far of the local ClickHouse and Kafka servers (0 where not local) and of the whole machine. */
export function engineCpuSeconds(): { clickhouse: number; kafka: number; machine: number } {
  const { clickhouse, kafka } = enginePids();
  const total = (pids: number[]) => pids.map(cpuSeconds).reduce((sum, s) => sum + (Number.isFinite(s) ? s : 0), 0);
  return { clickhouse: total(clickhouse), kafka: total(kafka), machine: machineCpuSeconds() };
}

/**
 * Samples the resident memory of this process and every process under it every `everyMs`, keeping
 * each label's peak. In-process workers show as `bench (this process)`; child workers by service.
 */
export function sampleRss(everyMs = 250): { stop(): Map<string, number> } {
  const peaks = new Map<string, number>();
  const take = () => {
    const self = rssMb(process.pid);
    peaks.set('bench (this process)', Math.max(peaks.get('bench (this process)') ?? 0, self));
    for (const pid of descendants(process.pid)) {
      const mb = rssMb(pid);
      if (!Number.isFinite(mb) || mb < 1) continue;
      const label = processLabel(pid);
      peaks.set(label, Math.max(peaks.get(label) ?? 0, mb));
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      take();
      return peaks;
    },
  };
}
