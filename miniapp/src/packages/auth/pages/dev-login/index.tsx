import { useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Input, Text, View } from '@tarojs/components'
import { DEV_NAME_RE, DEV_USERS, devLogin, setLoginIntent, takeLoginIntent, useSession } from '../../../../auth'
import { showErrorToast } from '../../../../api/request'
import { ROUTES } from '../../../../utils/routes'
import './index.css'
import { flag } from '../../../../utils/flag'

/**
 * Development login: the server's dev provider accepts `dev:<name>` codes in place of WeChat's,
 * so several users can be simulated side by side in ordinary browsers.
 */
export default function DevLogin() {
  const session = useSession()
  // `?back=1`: opened by an action that needs login; return to that page afterwards.
  const goBack = useRouter().params.back === '1'
  const [name, setName] = useState('')
  const [pending, setPending] = useState<string | null>(null)

  const loginAs = async (devName: string) => {
    if (pending) return
    if (!DEV_NAME_RE.test(devName)) {
      void Taro.showToast({ title: '名字只能包含字母、数字、_ 或 -，最多 32 位', icon: 'none' })
      return
    }
    setPending(devName)
    try {
      const user = await devLogin(devName)
      void Taro.showToast({ title: `已登录：${user.nickname}`, icon: 'none' })
      // The action that sent the shopper here continues: a page to open replaces this one (back
      // still leads to where they tapped); other intents are taken by the page we return to.
      const next = goBack ? takeLoginIntent('open') : null
      if (!goBack) setLoginIntent(null)
      if (next) await Taro.redirectTo({ url: next.url })
      else if (goBack && Taro.getCurrentPages().length > 1) await Taro.navigateBack()
      else await Taro.switchTab({ url: ROUTES.me })
    } catch (e) {
      showErrorToast(e)
    } finally {
      setPending(null)
    }
  }

  return (
    <View className='dev-login'>
      <Text className='dev-login-note'>开发环境登录：选择一个预设用户，或输入任意名字（同名即同一用户）。</Text>
      <View className='dev-user-list'>
        {DEV_USERS.map((u) => (
          <View
            key={u.name}
            className={`dev-user dev-user-${u.name}${session?.user?.nickname === u.nickname ? ' is-current' : ''}`}
            id={`dev-user-${u.name}`}
            onClick={() => void loginAs(u.name)}
          >
            <View className='dev-user-avatar'>
              <Text>{u.nickname.slice(-1)}</Text>
            </View>
            <View className='dev-user-info'>
              <Text className='dev-user-nickname'>{u.nickname}</Text>
              <Text className='dev-user-code'>dev:{u.name}</Text>
            </View>
            <Text className='dev-user-action'>{pending === u.name ? '登录中…' : '登录'}</Text>
          </View>
        ))}
      </View>

      <View className='dev-login-custom'>
        <Text className='dev-login-label'>其他用户</Text>
        <Input
          className='dev-login-input'
          id='dev-login-input'
          value={name}
          maxlength={32}
          placeholder='输入名字，如 erin'
          onInput={(e) => setName(e.detail.value.trim())}
          onConfirm={() => void loginAs(name)}
        />
        <Button className='btn btn-block dev-login-submit' id='dev-login-submit' disabled={flag(!name || !!pending)} onClick={() => void loginAs(name)}>
          以此名字登录
        </Button>
      </View>
    </View>
  )
}
