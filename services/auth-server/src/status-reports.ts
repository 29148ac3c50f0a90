import { createSocket, type Socket } from 'node:dgram';
import type { AuthEvent } from '@keywatch/contracts';
import { ipAllowed, normalizeIp } from '@keywatch/gateway-sdk';
import type { Closeable } from '@keywatch/lifecycle';
import type { Logger } from '@keywatch/logger';

/**
 * An auth event's `status` is what the client got; for an allowed request that is the upstream's,
 * which only the proxy sees. A proxy that can say so afterwards (nginx: an access-log line over
 * syslog, docs/gateways/nginx.conf) marks its forward-auth calls; their allowed events are held
 * here until its report, then sent with the upstream's status and time. Without a report within
 * the wait they go out with 200, as events of proxies that cannot report do.
 */
export interface HeldEvents extends Closeable {
  /** Holds an allowed event until {@link report} names its `request_id` (or the wait ends). */
  hold(event: AuthEvent): void;
  /** The upstream's status (and time, in seconds) for a held event; false when none is held under `requestId`. */
  report(requestId: string, status: number, upstreamSeconds: number | null): boolean;
  /** Events held now. */
  readonly size: number;
}

export interface HeldEventsOptions {
  emit(event: AuthEvent): void;
  /** How long an event waits for its report. */
  waitMs: number;
  /** Events held at most; beyond, the oldest goes out with 200 at once. */
  max: number;
  logger: Logger;
  /** Called for each event sent without a report (wait over, overflow, shutdown). */
  onUnreported?: (count: number) => void;
}

export function createHeldEvents(options: HeldEventsOptions): HeldEvents {
  // Insertion order is deadline order (one wait for all), so expiry stops at the first live entry.
  const held = new Map<string, { event: AuthEvent; deadline: number }>();
  const log = options.logger.child({ component: 'status-reports' });
  let lastWarning = -Infinity;
  const release = (count: number, why: string) => {
    if (count === 0) return;
    options.onUnreported?.(count);
    if (Date.now() - lastWarning > 30_000) {
      lastWarning = Date.now();
      log.warn({ count, why }, 'auth events sent without the upstream status (status 200): no report from the proxy');
    }
  };
  const sweep = () => {
    const now = Date.now();
    let expired = 0;
    for (const [id, entry] of held) {
      if (entry.deadline > now) break;
      held.delete(id);
      options.emit(entry.event);
      expired += 1;
    }
    release(expired, 'wait over');
  };
  const timer = setInterval(sweep, Math.min(1000, Math.max(50, options.waitMs / 4)));
  timer.unref();
  let closed = false;
  return {
    name: 'held-events',
    get size() {
      return held.size;
    },
    hold(event) {
      if (closed) {
        options.emit(event);
        return;
      }
      if (held.size >= options.max) {
        const oldest = held.entries().next().value;
        if (oldest) {
          held.delete(oldest[0]);
          options.emit(oldest[1].event);
          release(1, 'too many held');
        }
      }
      held.set(event.request_id, { event, deadline: Date.now() + options.waitMs });
    },
    report(requestId, status, upstreamSeconds) {
      const entry = held.get(requestId);
      if (!entry) return false;
      held.delete(requestId);
      const upstreamMs = upstreamSeconds === null ? 0 : Math.round(upstreamSeconds * 1_000_000) / 1000;
      options.emit({
        ...entry.event,
        status,
        latency_ms: Math.round((entry.event.latency_ms + upstreamMs) * 1000) / 1000,
      });
      return true;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      const count = held.size;
      for (const { event } of held.values()) options.emit(event);
      held.clear();
      release(count, 'shutting down');
    },
  };
}

/** One status report: `<request id> <status> <upstream seconds or ->`, the tail of a syslog line. */
export interface StatusReport {
  requestId: string;
  status: number;
  upstreamSeconds: number | null;
}

const REPORT = /keywatch: ([A-Za-z0-9_-]{1,100}) ([1-5]\d\d) ([-0-9., :]{1,200})$/;

/**
 * Parses nginx's syslog access-log line (`<190>Dec  7 22:10:00 keywatch: <id> <status> <time>`,
 * docs/gateways/nginx.conf). `$upstream_response_time` lists one time per upstream tried
 * (`0.002, 0.004` or `0.002 : 0.004`): their sum. Null when the line is not a report.
 */
export function parseStatusReport(line: string): StatusReport | null {
  const match = REPORT.exec(line.trimEnd());
  if (!match) return null;
  const times = match[3]!.split(/[,:]/).filter((t) => t.trim() !== '' && t.trim() !== '-');
  const seconds = times.reduce((sum, t) => sum + Number(t), 0);
  return {
    requestId: match[1]!,
    status: Number(match[2]),
    upstreamSeconds: times.length === 0 || !Number.isFinite(seconds) ? null : seconds,
  };
}

/**
 * Listens for status reports on UDP `host:port`, from `trusted` addresses only (the proxies
 * allowed to forward client addresses): a report can only set the status and time of an event
 * this server holds, never create one.
 */
export async function listenForStatusReports(options: {
  host: string;
  port: number;
  trusted: readonly string[];
  held: HeldEvents;
  logger: Logger;
}): Promise<Closeable & { port: number }> {
  const bare = options.host.replace(/^\[|\]$/g, '');
  const socket: Socket = createSocket({ type: bare.includes(':') ? 'udp6' : 'udp4' });
  socket.on('message', (message, peer) => {
    if (!ipAllowed(normalizeIp(peer.address), options.trusted)) return;
    const report = parseStatusReport(message.toString('utf8', 0, Math.min(message.length, 1024)));
    if (report) options.held.report(report.requestId, report.status, report.upstreamSeconds);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, bare === 'localhost' ? '127.0.0.1' : bare, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (error) => options.logger.warn({ err: error }, 'status report socket error'));
  let closing: Promise<void> | undefined;
  return {
    name: 'status-reports',
    port: socket.address().port,
    close: () => (closing ??= new Promise<void>((resolve) => socket.close(() => resolve()))),
  };
}
