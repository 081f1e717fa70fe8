import { Image, Text, View } from '@tarojs/components'
import { resolveAssetUrl } from '../api/config'
import './Avatar.css'

interface AvatarProps {
  url: string | null | undefined
  /** The last character is shown when there is no picture. */
  nickname: string
  size?: 'small' | 'normal' | 'large'
  className?: string
}

export function Avatar({ url, nickname, size = 'normal', className }: AvatarProps) {
  const cls = `avatar avatar-${size}${className ? ' ' + className : ''}`
  if (url) return <Image className={cls} src={resolveAssetUrl(url)} mode='aspectFill' />
  return (
    <View className={`${cls} avatar-placeholder`}>
      <Text>{nickname ? nickname.slice(-1) : '?'}</Text>
    </View>
  )
}
