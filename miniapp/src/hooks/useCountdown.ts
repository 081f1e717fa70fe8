import { useEffect, useMemo, useState } from 'react'
import { clockOffsetMs, formatCountdown, remainingMs } from '@tuan/shared/time'

export interface Countdown {
  /** Milliseconds left, never negative. */
  remainingMs: number
  /** "01:02:03" or "1天 02:03:04". */
  text: string
  done: boolean
}

/**
 * Counts down to `deadlineIso` on the server's clock: the offset between the device clock and
 * `serverTimeIso` (taken from the response that carried the deadline) is fixed once per response,
 * so a wrong phone clock does not change the countdown. Stops ticking at zero.
 */
export function useCountdown(deadlineIso: string | null | undefined, serverTimeIso: string | null | undefined, tickMs = 1000): Countdown {
  const offset = useMemo(() => (serverTimeIso ? clockOffsetMs(serverTimeIso, Date.now()) : 0), [serverTimeIso])
  const compute = (): number => (deadlineIso ? remainingMs(deadlineIso, Date.now(), offset) : 0)
  const [left, setLeft] = useState<number>(compute)

  useEffect(() => {
    const first = compute()
    setLeft(first)
    if (first <= 0) return undefined
    const timer = setInterval(() => {
      const next = compute()
      setLeft(next)
      if (next <= 0) clearInterval(timer)
    }, tickMs)
    return () => clearInterval(timer)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [deadlineIso, offset, tickMs])

  const safe = Math.max(0, left)
  return { remainingMs: safe, text: formatCountdown(safe), done: safe <= 0 }
}
