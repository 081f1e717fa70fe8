import type { ReactNode } from 'react'
import { Text, View } from '@tarojs/components'
import './CouponTicket.css'

interface CouponTicketProps {
  /** 满¥30.00减¥5.00 — shown big. */
  label: string
  name: string
  /** Small grey lines under the name (threshold, validity…). */
  lines?: ReadonlyArray<ReactNode>
  /** The right-hand stub: a button, a tag or an amount. */
  side?: ReactNode
  /** Greyed out: used, expired, or not applicable. */
  muted?: boolean
  selected?: boolean
  className?: string
  onClick?: () => void
}

/** Long labels (percent off with a cap) get a smaller font so an amount is not split across lines. */
function labelSize(label: string): string {
  if (label.length > 18) return ' is-long'
  if (label.length > 15) return ' is-mid'
  return ''
}

/** A coupon drawn as a ticket: body on the left, a perforated stub on the right. */
export function CouponTicket({ label, name, lines = [], side, muted = false, selected = false, className, onClick }: CouponTicketProps) {
  const cls = `coupon-ticket${muted ? ' is-muted' : ''}${selected ? ' is-selected' : ''}${className ? ' ' + className : ''}`
  return (
    <View className={cls} onClick={onClick}>
      <View className='coupon-ticket-body'>
        <Text className={`coupon-ticket-label${labelSize(label)}`}>{label}</Text>
        <Text className='coupon-ticket-name'>{name}</Text>
        {lines.map((line, i) => (
          <View key={i} className='coupon-ticket-line'>
            {line}
          </View>
        ))}
      </View>
      {side !== undefined ? <View className='coupon-ticket-side'>{side}</View> : null}
    </View>
  )
}
