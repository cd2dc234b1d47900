// Counts failed operator credentials in fixed windows, per client address and in total, so
// guessing the secret is slow even for someone who rotates addresses. The secret is 88 random
// characters, so this is depth, not the defence: it keeps the logs and the CPU quiet. The total
// limit means a flood of wrong guesses can lock the operator out until the window ends; the
// data stays available in the AWS console meanwhile, which is the better failure.
export interface FailureLimits {
  /** Failures one client may have per window. */
  perClient: number;
  /** Failures all clients together may have per window. */
  total: number;
  windowMs: number;
  /** Distinct clients tracked per window; beyond it new clients share one bucket. */
  maxClients: number;
}

export const DEFAULT_FAILURE_LIMITS: FailureLimits = { perClient: 10, total: 200, windowMs: 15 * 60 * 1000, maxClients: 10_000 };

const OVERFLOW = '\u0000overflow';

export class FailureLimiter {
  private windowStart = 0;
  private total = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly limits: FailureLimits = DEFAULT_FAILURE_LIMITS) {}

  private roll(now: number): void {
    if (now - this.windowStart >= this.limits.windowMs) {
      this.windowStart = now - (now % this.limits.windowMs);
      this.total = 0;
      this.counts.clear();
    }
  }

  private key(client: string): string {
    return this.counts.has(client) || this.counts.size < this.limits.maxClients ? client : OVERFLOW;
  }

  /** Seconds until `client` may try again, 0 when it may now. */
  retryAfter(client: string, now: number): number {
    this.roll(now);
    const blocked = this.total >= this.limits.total || (this.counts.get(this.key(client)) ?? 0) >= this.limits.perClient;
    return blocked ? Math.max(1, Math.ceil((this.windowStart + this.limits.windowMs - now) / 1000)) : 0;
  }

  fail(client: string, now: number): void {
    this.roll(now);
    const k = this.key(client);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    this.total++;
  }
}
