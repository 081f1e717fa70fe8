import { isApiError, NETWORK_ERROR } from '../api/request'

/** A fresh Idempotency-Key (the server accepts 8–128 chars of [A-Za-z0-9_.:-]). */
export function newIdempotencyKey(): string {
  const rand = () => Math.random().toString(36).slice(2, 10).padEnd(8, '0')
  return `mp-${Date.now().toString(36)}-${rand()}${rand()}`
}

/** Whether a failed call may be retried with the same key (no answer, or a server error the server did not remember). */
function retriable(e: unknown): boolean {
  return isApiError(e) && (e.code === NETWORK_ERROR || e.status >= 500)
}

/**
 * One key per user action: a tap gets a fresh key, and a retry of the same action after a network
 * or server error reuses it, so the server runs the action at most once.
 */
export class ActionKeys {
  private readonly pending = new Map<string, string>()

  keyFor(action: string): string {
    let key = this.pending.get(action)
    if (!key) {
      key = newIdempotencyKey()
      this.pending.set(action, key)
    }
    return key
  }

  /** Call when the action settled; keeps the key only when the same action may be retried. */
  settle(action: string, error?: unknown): void {
    if (error === undefined || !retriable(error)) this.pending.delete(action)
  }

  /** Runs `fn` with the action's key and settles it. */
  async run<T>(action: string, fn: (key: string) => Promise<T>): Promise<T> {
    try {
      const result = await fn(this.keyFor(action))
      this.settle(action)
      return result
    } catch (e) {
      this.settle(action, e)
      throw e
    }
  }
}
