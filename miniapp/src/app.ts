import type { PropsWithChildren } from 'react'
import { useLaunch } from '@tarojs/taro'
import { restoreSession } from './auth/session'

import './app.css'

function App({ children }: PropsWithChildren) {
  useLaunch(() => {
    restoreSession()
  })
  // children are the pages being rendered
  return children
}

export default App
