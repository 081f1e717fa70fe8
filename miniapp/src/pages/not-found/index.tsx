import { useRouter } from '@tarojs/taro'
import { ErrorState } from '../../components'

/** Where an unknown route lands (app.ts redirects here from onPageNotFound): a message and ways out, never a blank page. */
export default function NotFound() {
  const path = useRouter().params.path
  return <ErrorState text='页面不存在' hint={path ? `找不到 ${decodeURIComponent(path).slice(0, 60)}，可能是链接已失效` : '链接可能已失效'} />
}
