import { useRouter } from '@tarojs/taro'
import { ErrorState } from '../../components'

/** Where an unknown route lands (app.ts redirects here from onPageNotFound): a message and ways out, never a blank page. */
export default function NotFound() {
  const path = useRouter().params.path
  return <ErrorState text={path ? `页面不存在：${decodeURIComponent(path).slice(0, 60)}` : '页面不存在'} />
}
