/** Errors worth a new connection and another try; anything else fails at once. */
export function isTransient(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; authenticationFailed?: unknown; message?: unknown };
  if (e.authenticationFailed) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (['NoConnection', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ClosedAfterConnectTLS', 'ClosedAfterConnectText', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'ProtocolError'].includes(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /connection (not available|closed|lost)|socket|timeout|timed out|unexpected close/i.test(message);
}

export function backoffMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** (attempt - 1), 60_000);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryPolicy {
  retries: number;
  retryDelayMs: number;
  signal: AbortSignal;
  onRetry(attempt: number, delayMs: number, err: unknown): void;
}

/** Runs `fn` again after a transient failure, with backoff, up to `retries` more times. */
export async function withRetries<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isTransient(err) || attempt > policy.retries || policy.signal.aborted) throw err;
      const delayMs = backoffMs(attempt, policy.retryDelayMs);
      policy.onRetry(attempt, delayMs, err);
      await sleep(delayMs, policy.signal);
    }
  }
}
