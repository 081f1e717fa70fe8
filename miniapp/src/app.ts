import type { PropsWithChildren } from 'react'
import Taro, { useDidShow, useLaunch, usePageNotFound } from '@tarojs/taro'
import { restoreSession } from './auth/session'
import { captureShare } from './share/capture'
import { ROUTES } from './utils/routes'

import './app.css'

function App({ children }: PropsWithChildren) {
  // A share token arrives in the launch query or a code's scene; on show too (a card opened while
  // the app was in the background; entering the full app from Moments single-page mode, scene 1154).
  useLaunch((options) => {
    restoreSession()
    captureShare(options as { query?: Record<string, string>; scene?: number })
  })
  useDidShow((options) => {
    captureShare((options ?? Taro.getLaunchOptionsSync?.()) as { query?: Record<string, string>; scene?: number } | undefined)
  })
  // An unknown route (an old link, a typo) would be a blank page: show a message and ways out instead.
  usePageNotFound((res) => {
    void Taro.redirectTo({ url: ROUTES.notFound(res.path) }).catch(() => Taro.reLaunch({ url: ROUTES.notFound(res.path) }))
  })
  // children are the pages being rendered
  return children
}

export default App
