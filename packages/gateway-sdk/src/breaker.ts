/** The breaker's state: `closed` lets calls through, `open` refuses them at once, `half_open` lets one probe through. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures (errors or timeouts) that open the breaker. Default 5. */
  failureThreshold?: number;
  /** How long it stays open before a probe may go through. Default 1 000 ms. */
  openMs?: number;
  /** Which errors count as the dependency failing (default: all). Others pass through and reset nothing. */
  isFailure?: (error: unknown) => boolean;
  /** Called on every state change. Must not throw. */
  onStateChange?: (state: BreakerState, previous: BreakerState) => void;
  /** Milliseconds clock (default `performance.now`). */
  now?: () => number;
}

/** Thrown by {@link CircuitBreaker.run} instead of calling the dependency while the breaker is open. */
export class BreakerOpenError extends Error {
  /** Milliseconds until a probe may go through (0 while a probe is in flight). */
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super('circuit breaker open: redis is not called until a probe succeeds');
    this.name = 'BreakerOpenError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** Counters since creation. */
export interface BreakerStats {
  state: BreakerState;
  /** Current run of failures (reset by a success). */
  consecutiveFailures: number;
  /** Times it opened (closed → open and failed probes). */
  opens: number;
  /** Calls refused without calling the dependency. */
  rejected: number;
  /** Probes let through while half-open. */
  probes: number;
}

/**
 * A circuit breaker in front of one dependency (the gateway's Redis): `failureThreshold`
 * consecutive failures open it, so calls fail at once with {@link BreakerOpenError} instead of a
 * timeout; after `openMs` a real request's call is the probe that closes or reopens it.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly counts = { opens: 0, rejected: 0, probes: 0 };
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly onStateChange: (state: BreakerState, previous: BreakerState) => void;
  private readonly now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 1000;
    if (!Number.isSafeInteger(this.failureThreshold) || this.failureThreshold < 1)
      throw new RangeError(`failureThreshold must be a positive integer, got ${this.failureThreshold}`);
    if (!(this.openMs > 0)) throw new RangeError(`openMs must be positive, got ${this.openMs}`);
    this.isFailure = options.isFailure ?? (() => true);
    this.onStateChange = options.onStateChange ?? (() => undefined);
    this.now = options.now ?? (() => performance.now());
  }

  /** The state now (an open breaker whose `openMs` has passed reads `half_open`: the next call probes). */
  state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.openMs) return 'half_open';
    return this.current;
  }

  /** Milliseconds until a call may go through again: 0 when closed or a probe may go now. */
  retryAfterMs(): number {
    if (this.current === 'closed') return 0;
    if (this.probing) return this.openMs;
    return Math.max(0, this.openMs - (this.now() - this.openedAt));
  }

  /** True when a call made now would be refused without calling the dependency. */
  refuses(): boolean {
    return this.current !== 'closed' && (this.probing || this.now() - this.openedAt < this.openMs);
  }

  /** Runs `call` unless the breaker refuses it; records its success or failure. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.current !== 'closed') {
      if (this.refuses()) {
        this.counts.rejected += 1;
        throw new BreakerOpenError(this.retryAfterMs());
      }
      this.probing = true;
      this.counts.probes += 1;
      this.move('half_open');
    }
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (this.isFailure(error)) this.failed();
      else if (this.current === 'half_open') this.succeeded(); // the dependency answered
      throw error;
    }
    this.succeeded();
    return result;
  }

  stats(): BreakerStats {
    return { state: this.state(), consecutiveFailures: this.failures, ...this.counts };
  }

  private succeeded(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.move('closed');
  }

  private failed(): void {
    this.failures += 1;
    // A failed probe, or the threshold reached while closed (calls already in flight when it
    // opened fail too: they neither reopen it nor extend the open period).
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.failureThreshold)) {
      this.probing = false;
      this.openedAt = this.now();
      this.counts.opens += 1;
      this.move('open');
    }
  }

  private move(next: BreakerState): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    try {
      this.onStateChange(next, previous);
    } catch {
      // a listener must not break the request path
    }
  }
}
