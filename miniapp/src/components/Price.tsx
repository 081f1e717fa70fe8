import { Text } from '@tarojs/components'
import { formatFen } from '@tuan/shared/money'
import './Price.css'

interface PriceProps {
  /** Amount in fen. */
  fen: number
  /** When given and different from `fen`, shows a range "¥12.34 - ¥56.78". */
  maxFen?: number
  size?: 'small' | 'normal' | 'large'
  className?: string
}

/** Money as ¥12.34 (always from integer fen). */
export function Price({ fen, maxFen, size = 'normal', className }: PriceProps) {
  const text = maxFen !== undefined && maxFen !== fen ? `${formatFen(fen)} - ${formatFen(maxFen)}` : formatFen(fen)
  return <Text className={`price price-${size}${className ? ' ' + className : ''}`}>{text}</Text>
}

/** Lowest to highest price of a list of amounts, as shown on product pages. */
export function priceRange(amounts: readonly number[]): { min: number; max: number } | null {
  if (amounts.length === 0) return null
  return { min: Math.min(...amounts), max: Math.max(...amounts) }
}
