import { useEffect, useRef } from 'react'
import { Text } from '@tarojs/components'
import { useCountdown } from '../hooks/useCountdown'

interface CountdownTextProps {
  /** ISO deadline on the server's clock. */
  deadline: string | null | undefined
  /** serverTime of the response that carried the deadline. */
  serverTime: string | null | undefined
  /** Text before the time, e.g. "剩余 ". */
  prefix?: string
  /** Shown instead of the time once it reached zero (default "00:00:00"). */
  doneText?: string
  /** Called once when a running countdown reaches zero (not when it was already zero on mount, so a stale answer cannot cause a reload loop). */
  onDone?: () => void
  className?: string
}

/** A live countdown that never goes negative; one per list item (hooks cannot run in loops). */
export function CountdownText({ deadline, serverTime, prefix = '', doneText, onDone, className }: CountdownTextProps) {
  const { text, done } = useCountdown(deadline, serverTime)
  const onDoneRef = useRef(onDone)
  onDoneRef.current = onDone
  const running = useRef(false)
  useEffect(() => {
    if (!done) running.current = true
    else if (running.current && deadline) {
      running.current = false
      onDoneRef.current?.()
    }
  }, [done, deadline])
  return (
    <Text className={`countdown${done ? ' is-done' : ''}${className ? ' ' + className : ''}`}>
      {done && doneText !== undefined ? doneText : `${prefix}${text}`}
    </Text>
  )
}
