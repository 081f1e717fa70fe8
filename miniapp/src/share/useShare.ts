import { useEffect, useState } from 'react'
import Taro from '@tarojs/taro'
import type { ShareKind } from '@tuan/shared/enums'
import { createShare } from '../api/share'
import { useSession } from '../auth'
import { getShareToken } from './capture'

/**
 * My share of a target, created as soon as the page knows it (WeChat gives no callback after a
 * share, so the record is made when the path is generated; the server reuses it for a few minutes).
 * Null until created, or when not signed in (then the path carries no token).
 */
export function useShareToken(kind: ShareKind, targetId: number | null | undefined): string | null {
  const session = useSession()
  const [token, setToken] = useState<string | null>(null)
  const userId = session?.user?.id ?? 0
  useEffect(() => {
    setToken(null)
    if (!targetId || !userId) return
    let live = true
    const parentToken = getShareToken() ?? undefined
    createShare({ kind, targetId, channel: 'chat', ...(parentToken ? { parentToken } : {}) })
      .then((s) => live && setToken(s.token))
      .catch(() => undefined)
    return () => {
      live = false
    }
  }, [kind, targetId, userId])
  return token
}

/** A page path with the share token appended (`?id=1` → `?id=1&st=…`). */
export function withShareToken(path: string, token: string | null): string {
  if (!token) return path
  return `${path}${path.includes('?') ? '&' : '?'}st=${token}`
}

/**
 * h5 has no share sheet: 邀请好友 copies a link with the token and a line of text.
 */
/** The h5 address of an in-app path with my share token: what a friend opens from a chat. */
export function inviteUrl(path: string, token: string | null): string {
  return `${window.location.origin}${window.location.pathname}#${withShareToken(path, token)}`
}

export async function copyInviteLink(path: string, token: string | null, line: string): Promise<void> {
  const url = inviteUrl(path, token)
  await Taro.setClipboardData({ data: `${line} ${url}` })
  void Taro.showToast({ title: '链接已复制，发给好友吧', icon: 'none' })
}
