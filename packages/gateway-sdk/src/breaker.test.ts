import { describe, expect, it } from 'vitest';
import { BreakerOpenError, CircuitBreaker, type BreakerState } from './breaker.js';

function setup(options: { failureThreshold?: number; openMs?: number } = {}) {
  let now = 0;
  const changes: Array<[BreakerState, BreakerState]> = [];
  const breaker = new CircuitBreaker({
    failureThreshold: 3,
    openMs: 1000,
    ...options,
    now: () => now,
    onStateChange: (state, previous) => changes.push([previous, state]),
  });
  let calls = 0;
  const ok = () => breaker.run(async () => ++calls);
  const fail = () =>
    breaker.run(async () => {
      calls += 1;
      throw new Error('connection refused');
    });
  return { breaker, changes, ok, fail, calls: () => calls, advance: (ms: number) => (now += ms) };
}

describe('circuit breaker', () => {
  it('opens after the consecutive failures, refuses without calling, probes after the open period and closes on success', async () => {
    const { breaker, changes, ok, fail, calls, advance } = setup();
    await expect(fail()).rejects.toThrow('connection refused');
    await expect(fail()).rejects.toThrow('connection refused');
    await ok(); // a success resets the run of failures
    for (let i = 0; i < 3; i += 1) await expect(fail()).rejects.toThrow('connection refused');
    expect(breaker.state()).toBe('open');
    const before = calls();
    await expect(ok()).rejects.toBeInstanceOf(BreakerOpenError);
    expect(calls()).toBe(before);
    advance(400);
    const refused = await ok().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BreakerOpenError);
    expect((refused as BreakerOpenError).retryAfterMs).toBe(600);
    advance(600);
    expect(breaker.state()).toBe('half_open');
    await ok();
    expect(breaker.state()).toBe('closed');
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half_open'],
      ['half_open', 'closed'],
    ]);
    expect(breaker.stats()).toMatchObject({ opens: 1, rejected: 2, probes: 1, consecutiveFailures: 0 });
  });

  it('lets one probe through at a time and reopens when it fails', async () => {
    const { breaker, fail, calls, advance } = setup({ failureThreshold: 1 });
    await expect(fail()).rejects.toThrow();
    advance(1000);
    let release: () => void = () => undefined;
    const probe = breaker.run(() =>
      new Promise<void>((resolve) => (release = resolve)).then(() => {
        throw new Error('still down');
      }),
    );
    // While the probe is out, everyone else is refused at once.
    await expect(breaker.run(async () => 'second')).rejects.toBeInstanceOf(BreakerOpenError);
    release();
    await expect(probe).rejects.toThrow('still down');
    expect(breaker.state()).toBe('open');
    expect(breaker.stats().opens).toBe(2);
    expect(calls()).toBe(1);
  });

  it('does not count errors that are not the dependency failing', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, isFailure: (error) => !(error instanceof RangeError) });
    await expect(breaker.run(async () => Promise.reject(new RangeError('bad policy')))).rejects.toThrow('bad policy');
    expect(breaker.state()).toBe('closed');
  });

  it('rejects bad settings', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker({ openMs: 0 })).toThrow(/openMs/);
  });
});
