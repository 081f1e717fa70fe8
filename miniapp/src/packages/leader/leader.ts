import { pickupPointKindZh, type PickupPointKind } from '@tuan/shared/enums'

/** 350m / 1.2km / 12km: what a shopper reads at a glance. */
export function formatDistance(m: number): string {
  if (m < 1000) return `${m}m`
  return m < 10_000 ? `${(m / 1000).toFixed(1)}km` : `${Math.round(m / 1000)}km`
}

export function kindLabel(kind: PickupPointKind): string {
  return pickupPointKindZh[kind]
}
