import { useCallback, useEffect, useRef, useState, type DependencyList, type Dispatch, type SetStateAction } from 'react'

export interface ApiState<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  /** Runs the fetcher again; resolves when it settles (never rejects). */
  reload: () => Promise<void>
  setData: Dispatch<SetStateAction<T | undefined>>
}

/**
 * Runs `fetcher` on mount and whenever `deps` change. Answers of superseded runs are dropped, so a
 * slow old response never overwrites a newer one. Pass `enabled: false` to wait (e.g. no id yet).
 */
export function useApi<T>(fetcher: () => Promise<T>, deps: DependencyList, options: { enabled?: boolean } = {}): ApiState<T> {
  const enabled = options.enabled !== false
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [loading, setLoading] = useState<boolean>(enabled)
  const runId = useRef(0)
  const fetcherRef = useRef(fetcher)
  fetcherRef.current = fetcher

  const reload = useCallback(async () => {
    const id = ++runId.current
    setLoading(true)
    setError(undefined)
    try {
      const result = await fetcherRef.current()
      if (id === runId.current) setData(result)
    } catch (e) {
      if (id === runId.current) setError(e)
    } finally {
      if (id === runId.current) setLoading(false)
    }
  }, [])

  useEffect(() => {
    if (enabled) void reload()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, reload, ...deps])

  return { data, error, loading, reload, setData }
}
