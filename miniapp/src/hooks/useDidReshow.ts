import { useRef } from 'react'
import { useDidShow } from '@tarojs/taro'

/**
 * Runs `onReshow` each time the page shows again (back from another page, the app back in front),
 * never on its first show. Taro fires useDidShow on the first show too, right after the mount that
 * already loaded the page, so a page reloading there asked the server for everything twice per open.
 */
export function useDidReshow(onReshow: () => void): void {
  const shown = useRef(false)
  useDidShow(() => {
    if (shown.current) onReshow()
    shown.current = true
  })
}
