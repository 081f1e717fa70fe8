import { useCallback, useEffect, useRef, useState } from 'react'
import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { showErrorToast } from '../api/request'
import { useDidReshow } from './useDidReshow'

export interface PageOf<T> {
  items: T[]
  page: number
  total: number
}

interface ListState<T, K> {
  key: K
  items: T[]
  page: number
  total: number
}

/**
 * A paged list behind tabs (orders by status, coupons by state): the first page loads when the key
 * or the login changes, more pages load on reaching the bottom, pull-down and every return to the
 * page reload it (what it lists moves while it is hidden). A run id drops answers that arrive after
 * the key changed, and items of another key are never shown under this one.
 */
export function usePagedList<T extends { id: number }, K>(key: K, fetchPage: (key: K, page: number) => Promise<PageOf<T>>, enabled: boolean) {
  const [state, setState] = useState<ListState<T, K>>({ key, items: [], page: 0, total: 0 })
  const [loading, setLoading] = useState(true)
  const [loadingMore, setLoadingMore] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const runId = useRef(0)
  const busyMore = useRef(false)
  const fetchRef = useRef(fetchPage)
  fetchRef.current = fetchPage

  const items = state.key === key ? state.items : []
  const total = state.key === key ? state.total : 0

  const reload = useCallback(async () => {
    const id = ++runId.current
    setError(undefined)
    setLoading(true)
    try {
      const res = await fetchRef.current(key, 1)
      if (id !== runId.current) return
      setState({ key, items: res.items, page: 1, total: res.total })
    } catch (e) {
      if (id === runId.current) setError(e)
    } finally {
      if (id === runId.current) setLoading(false)
    }
  }, [key])

  useEffect(() => {
    if (enabled) void reload()
    else {
      setState({ key, items: [], page: 0, total: 0 })
      setLoading(false)
    }
  }, [enabled, reload, key])

  useDidReshow(() => {
    if (enabled) void reload()
  })

  usePullDownRefresh(() => {
    const done = () => void Taro.stopPullDownRefresh()
    if (enabled) void reload().finally(done)
    else done()
  })

  const hasMore = items.length < total

  const loadMore = useCallback(async () => {
    if (busyMore.current || !hasMore || loading || error) return
    busyMore.current = true
    setLoadingMore(true)
    const id = runId.current
    try {
      const res = await fetchRef.current(key, state.page + 1)
      if (id !== runId.current) return
      setState((prev) => {
        const seen = new Set(prev.items.map((x) => x.id))
        return { key, items: prev.items.concat(res.items.filter((x) => !seen.has(x.id))), page: res.page, total: res.total }
      })
    } catch (e) {
      showErrorToast(e)
    } finally {
      busyMore.current = false
      setLoadingMore(false)
    }
  }, [hasMore, loading, error, state.page, key])

  useReachBottom(() => {
    void loadMore()
  })

  return { items, total, hasMore, loading, loadingMore, error, reload, loadMore }
}
