import { Button, Text, View } from '@tarojs/components'
import { errorText, isApiError } from '../api/request'
import './StateViews.css'

export function Loading({ text = '加载中…' }: { text?: string }) {
  return (
    <View className='state state-loading'>
      <View className='state-spinner' />
      <Text className='state-text'>{text}</Text>
    </View>
  )
}

export function Empty({ text = '暂无内容', hint }: { text?: string; hint?: string }) {
  return (
    <View className='state state-empty'>
      <View className='state-icon state-icon-empty'>
        <Text>空</Text>
      </View>
      <Text className='state-text'>{text}</Text>
      {hint ? <Text className='state-hint'>{hint}</Text> : null}
    </View>
  )
}

interface ErrorStateProps {
  error?: unknown
  /** Overrides the text derived from the error. */
  text?: string
  onRetry?: () => void
  retryText?: string
}

/** Error state with the error's Chinese text and a 重试 button (when onRetry is given). */
export function ErrorState({ error, text, onRetry, retryText = '重试' }: ErrorStateProps) {
  const message = text ?? errorText(error)
  const requestId = isApiError(error) ? error.requestId : undefined
  return (
    <View className='state state-error'>
      <View className='state-icon state-icon-error'>
        <Text>!</Text>
      </View>
      <Text className='state-text'>{message}</Text>
      {requestId ? <Text className='state-hint'>请求编号 {requestId}</Text> : null}
      {onRetry ? (
        <Button className='btn btn-ghost state-retry' onClick={onRetry}>
          {retryText}
        </Button>
      ) : null}
    </View>
  )
}
