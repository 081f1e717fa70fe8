import Taro from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import { errorText, isApiError, showErrorToast } from '../api/request'
import { ROUTES } from '../utils/routes'
import { requireLogin, startLogin } from '../auth'
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

/**
 * A page about me, opened logged out: what logging in will show, and 去登录. `name` prefixes the
 * classes (`<name>-login`, `<name>-login-btn`) so each page keeps its own hooks for tests and styles.
 */
export function LoginPrompt({ text, name }: { text: string; name: string }) {
  return (
    <View className={`${name}-login empty-with-action`}>
      <Empty text={text} />
      <Button className={`btn ${name}-login-btn empty-action`} onClick={() => void startLogin().catch(showErrorToast)}>
        去登录
      </Button>
    </View>
  )
}

interface ErrorStateProps {
  error?: unknown
  /** Overrides the text derived from the error. */
  text?: string
  /** A smaller line under the text (e.g. the unknown path). */
  hint?: string
  /** Offered only when retrying can help (network, 5xx, rate limit); never for a dead end. */
  onRetry?: () => void
  retryText?: string
  /** The most useful way out for this page (e.g. 查看我的订单); 返回 / 去首页 are always there on a dead end. */
  back?: { text: string; onClick: () => void }
}

/**
 * Errors that retrying cannot fix: the thing is missing or not mine, or the request itself is wrong
 * (4xx other than an expired login, a timeout or a rate limit). Client-side codes (network, a bad
 * answer) and 5xx may pass on a retry.
 */
export function isDeadEnd(error: unknown): boolean {
  if (!isApiError(error)) return false
  return error.status >= 400 && error.status < 500 && ![401, 408, 429].includes(error.status)
}

/** A support reference: short on screen, the whole id copied on tap. */
function RequestId({ id }: { id: string }) {
  const copy = () => {
    void Taro.setClipboardData({ data: id }).catch(() => undefined)
  }
  return (
    <Text className='state-request-id' onClick={copy}>
      编号 {id.length > 12 ? id.slice(0, 8) : id} · 复制
    </Text>
  )
}

function goBack(): void {
  if (Taro.getCurrentPages().length > 1) void Taro.navigateBack()
  else void Taro.switchTab({ url: ROUTES.home })
}

/**
 * Error state: the error's Chinese text, then 重试 when a retry can help, 去登录 when signed out, else a
 * way out (the page's own `back`, 返回上一页, 去首页). The request id is small and copyable, for support.
 */
export function ErrorState({ error, text, hint, onRetry, retryText = '重试', back }: ErrorStateProps) {
  const message = text ?? errorText(error)
  const requestId = isApiError(error) ? error.requestId : undefined
  // Signed out (or the login lapsed): the way on is to log in, not to retry or leave.
  const needsLogin = isApiError(error) && error.status === 401
  const retry = onRetry && !isDeadEnd(error) && !needsLogin ? onRetry : undefined
  const canGoBack = Taro.getCurrentPages().length > 1
  return (
    <View className={`state state-error${retry ? '' : ' state-dead-end'}`}>
      <View className='state-icon state-icon-error'>
        <Text>!</Text>
      </View>
      <Text className='state-text'>{message}</Text>
      {hint ? <Text className='state-hint'>{hint}</Text> : null}
      {retry ? (
        <Button className='btn btn-ghost state-retry' onClick={retry}>
          {retryText}
        </Button>
      ) : null}
      {retry ? null : (
        <View className='state-ways'>
          {needsLogin ? (
            <Button className='btn state-way state-login' onClick={() => void requireLogin().then((done) => (done ? onRetry?.() : undefined))}>
              去登录
            </Button>
          ) : null}
          {back ? (
            <Button className={`btn state-way state-back-primary${needsLogin ? ' btn-ghost' : ''}`} onClick={back.onClick}>
              {back.text}
            </Button>
          ) : null}
          {canGoBack ? (
            <Button className='btn btn-ghost state-way state-back' onClick={goBack}>
              返回上一页
            </Button>
          ) : null}
          <Button className='btn btn-ghost state-way state-home' onClick={() => void Taro.switchTab({ url: ROUTES.home })}>
            去首页
          </Button>
        </View>
      )}
      {requestId ? <RequestId id={requestId} /> : null}
    </View>
  )
}
