import { useEffect, useRef, useState } from 'react'
import Taro, { useDidHide, useDidShow } from '@tarojs/taro'
import { liveCampaignGroups, liveGroup, type RouteResponse } from '@tuan/shared/contracts'
import { GroupSummaryList, LiveGroupView, type GroupView } from '@tuan/shared/schemas'
import { API_BASE } from '../api/config'
import { call, isApiError } from '../api/request'

/**
 * Live group pages: a WebSocket (`Taro.connectSocket` — WeChat's socket on weapp, the browser's on
 * h5) to `/api/live?topic=…` pushes the shared public snapshot of a group or of a campaign's
 * joinable groups whenever it changes. The server sends the current snapshot on every (re)connect,
 * so nothing is lost while disconnected. Reconnects with backoff; after repeated failures it also
 * polls the same snapshot over HTTP, slowly, until the socket opens again. Closed while the page is
 * hidden (weapp allows 5 sockets at once; pages under the stack need none).
 */

export interface LiveFrame<T> {
  topic: string
  version: number
  serverTime: string
  data: T
}

const BACKOFF_MS = [1000, 2000, 5000, 10000, 30000]
/** Consecutive failed connects after which polling starts. */
const POLL_AFTER_FAILURES = 2
const POLL_MS = 15000

function socketUrl(topic: string): string {
  // h5 serves the API on its own origin (API_BASE ''); weapp has an absolute https base → wss.
  const base = API_BASE || (typeof location !== 'undefined' ? location.origin : '')
  return `${base.replace(/^http/, 'ws')}/api/live?topic=${encodeURIComponent(topic)}`
}

/**
 * Follows one topic while the page is shown. `parse` checks a frame's data (null = ignore it);
 * `onFrame` gets only frames newer than any seen before; `poll` is the HTTP fallback.
 */
export function useLiveTopic<T>(topic: string | null, parse: (data: unknown) => T | null, poll: () => Promise<LiveFrame<T>>, onFrame: (f: LiveFrame<T>) => void): void {
  const [shown, setShown] = useState(true)
  useDidShow(() => setShown(true))
  useDidHide(() => setShown(false))
  const latest = useRef({ parse, poll, onFrame })
  latest.current = { parse, poll, onFrame }

  useEffect(() => {
    if (!topic || !shown) return undefined
    let stopped = false
    let gone = false
    let failures = 0
    let lastVersion = 0
    let task: Taro.SocketTask | null = null
    let retryTimer: ReturnType<typeof setTimeout> | null = null
    let pollTimer: ReturnType<typeof setTimeout> | null = null

    const deliver = (f: LiveFrame<unknown>) => {
      if (f.version <= lastVersion) return
      const data = latest.current.parse(f.data)
      if (data === null) return
      lastVersion = f.version
      latest.current.onFrame({ ...f, data })
    }
    const stopPolling = () => {
      if (pollTimer) clearTimeout(pollTimer)
      pollTimer = null
    }
    const startPolling = () => {
      if (pollTimer || stopped) return
      const tick = async () => {
        try {
          deliver(await latest.current.poll())
        } catch (e) {
          // A group or campaign that does not exist will not start existing: stop asking.
          if (isApiError(e) && e.status === 404) gone = true
        }
        if (!stopped && !gone) pollTimer = setTimeout(() => void tick(), POLL_MS)
      }
      pollTimer = setTimeout(() => void tick(), 0)
    }
    const retry = () => {
      if (stopped || gone) return
      failures += 1
      if (failures >= POLL_AFTER_FAILURES) startPolling()
      const base = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length) - 1]
      retryTimer = setTimeout(() => void connect(), base / 2 + Math.random() * (base / 2))
    }
    const connect = async () => {
      if (stopped) return
      let t: Taro.SocketTask
      try {
        t = await Taro.connectSocket({ url: socketUrl(topic) })
      } catch {
        retry()
        return
      }
      if (stopped) {
        t.close({})
        return
      }
      task = t
      let ended = false
      const end = () => {
        if (ended) return
        ended = true
        if (task === t) task = null
        retry()
      }
      t.onOpen(() => {
        failures = 0
        stopPolling()
      })
      t.onMessage((m) => {
        try {
          const f = JSON.parse(String(m.data)) as { type: string } & LiveFrame<unknown>
          if (f.type === 'gone') gone = true
          else if (f.type === 'snapshot') deliver(f)
        } catch {
          // Not a frame of ours: ignore it.
        }
      })
      t.onClose(end)
      t.onError(end)
    }
    void connect()
    return () => {
      stopped = true
      if (retryTimer) clearTimeout(retryTimer)
      stopPolling()
      task?.close({})
    }
  }, [topic, shown])
}

/** A frame's data checked with its shared schema (a frame that does not match is ignored). */
function parseWith<T>(schema: { safeParse(data: unknown): { success: true; data: T } | { success: false } }): (data: unknown) => T | null {
  return (data) => {
    const r = schema.safeParse(data)
    return r.success ? r.data : null
  }
}

/**
 * The group page, live: each snapshot replaces the group's public part; the viewer's own fields
 * (`myRole`, `myOrderId`) stay as the page's own request answered them.
 */
export function useLiveGroup(id: number | null, group: GroupView | undefined, setGroup: (g: GroupView) => void): void {
  const current = useRef(group)
  current.current = group
  useLiveTopic(
    id ? `group:${id}` : null,
    parseWith(LiveGroupView),
    () => call(liveGroup, { params: { id: id as number } }),
    (f) => {
      if (current.current) setGroup({ ...current.current, ...f.data, serverTime: f.serverTime })
    },
  )
}

type GroupList = RouteResponse<typeof liveCampaignGroups>['data']

/** The campaign page's open groups, live (joins fill them, success and failure take them away). */
export function useLiveCampaignGroups(campaignId: number | null, setList: (l: GroupList) => void): void {
  useLiveTopic(
    campaignId ? `campaign:${campaignId}` : null,
    parseWith(GroupSummaryList),
    () => call(liveCampaignGroups, { params: { id: campaignId as number } }),
    // Countdowns run on the time the frame was sent, not when the list was built.
    (f) => setList({ ...f.data, serverTime: f.serverTime, items: f.data.items.map((g) => ({ ...g, serverTime: f.serverTime })) }),
  )
}
