import { useEffect, useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Text, View } from '@tarojs/components'
import type { PickupPointView } from '@tuan/shared/schemas'
import { bindLeaderShare, chooseMyPickupPoint, getMyPickupPoint, getPickupPoint, listNearbyPoints, listPickupCities, type NearbyPointData, type PickupCities } from '../../../../api/leader'
import { showErrorToast } from '../../../../api/request'
import { requireLogin, useSession } from '../../../../auth'
import { Empty, ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { parseId, ROUTES } from '../../../../utils/routes'
import { formatDistance, kindLabel } from '../../leader'
import '../../leader.css'

const MY_PLACE = '当前位置'
type Origin = { lat: number; lng: number; label: string }
type Located = { state: 'locating' } | { state: 'denied' } | { state: 'ok'; origin: Origin }

/**
 * 选择自提点: open points nearest first (distance, hours, address). Uses the phone's location when
 * granted (WGS-84, the coordinates points are stored in); otherwise a list of cities, searched from
 * the centre of each city's points. Choosing remembers the point (server side) and returns to the
 * page that opened the chooser. Opened from a leader's share (`id` + `st`), the shared point comes
 * first and the shopper is bound to it (unless they chose a point themselves).
 */
export default function PickupPoints() {
  const params = useRouter().params
  const sharedId = parseId(params.id)
  const shareToken = params.st ?? null
  const session = useSession()
  const [located, setLocated] = useState<Located>({ state: 'locating' })
  const [items, setItems] = useState<NearbyPointData[]>([])
  const [page, setPage] = useState(1)
  const [hasMore, setHasMore] = useState(false)
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [choosing, setChoosing] = useState<number | null>(null)
  const [showCities, setShowCities] = useState(false)

  const mine = useApi(() => getMyPickupPoint(), [session?.user?.id, shareToken], { enabled: !!session })
  const shared = useApi(() => getPickupPoint(sharedId!), [sharedId], { enabled: sharedId !== null })
  const cities = useApi<PickupCities>(() => listPickupCities(), [], { enabled: located.state === 'denied' || showCities })

  // A leader's share binds a signed-in shopper to its point (the server keeps a point they chose themselves).
  useEffect(() => {
    if (!session || !shareToken) return
    bindLeaderShare(shareToken)
      .then((r) => mine.setData(r))
      .catch(() => undefined)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session?.user?.id, shareToken])

  useEffect(() => {
    // A location prompt nobody answers must not leave the page spinning: after 8 s, the city list.
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('location timeout')), 8000))
    Promise.race([Taro.getLocation({ type: 'wgs84' }), timeout])
      .then((r) => setLocated({ state: 'ok', origin: { lat: r.latitude, lng: r.longitude, label: MY_PLACE } }))
      .catch(() => setLocated({ state: 'denied' }))
  }, [])

  const load = async (origin: Origin, nextPage: number) => {
    setLoading(true)
    setError(null)
    try {
      const res = await listNearbyPoints(origin.lat, origin.lng, nextPage, 20)
      setItems((prev) => (nextPage === 1 ? res.items : [...prev, ...res.items]))
      setHasMore(res.hasMore)
      setPage(nextPage)
    } catch (e) {
      setError(e)
    } finally {
      setLoading(false)
    }
  }

  useEffect(() => {
    if (located.state === 'ok') void load(located.origin, 1)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [located])

  const choose = async (p: Pick<PickupPointView, 'id'>) => {
    if (choosing) return
    if (!(await requireLogin({ kind: 'open', url: ROUTES.pickupPoints({ pointId: sharedId ?? undefined, token: shareToken ?? undefined }) }))) return
    setChoosing(p.id)
    try {
      const res = await chooseMyPickupPoint(p.id)
      mine.setData(res)
      void Taro.showToast({ title: '已选择自提点', icon: 'success' })
      // Back to whoever opened the chooser (checkout, 我的…); opened from a share, on to the home page.
      setTimeout(() => {
        if (Taro.getCurrentPages().length > 1) void Taro.navigateBack()
        else void Taro.switchTab({ url: ROUTES.home })
      }, 600)
    } catch (e) {
      showErrorToast(e)
    } finally {
      setChoosing(null)
    }
  }

  const current = mine.data?.point ?? null
  const pointCard = (p: PickupPointView & { distanceM?: number }, extra?: string) => (
    <View key={p.id} className={`ld-card ld-point ld-point-${p.id}${current?.id === p.id ? ' is-current' : ''}`}>
      <View className='ld-point-head'>
        <Text className='ld-point-name'>{p.name}</Text>
        {p.distanceM !== undefined ? <Text className='ld-distance'>{formatDistance(p.distanceM)}</Text> : null}
      </View>
      <Text className='ld-line'>{`${p.city}${p.district} ${p.address}`}</Text>
      <Text className='ld-line-hint'>{`营业时间 ${p.openingHours} · 团长 ${p.leaderName}`}</Text>
      <View className='ld-point-head' style={{ marginTop: '12px' }}>
        <Text className='ld-tag'>{kindLabel(p.kind)}</Text>
        {extra ? <Text className='ld-tag is-muted'>{extra}</Text> : null}
        {p.status !== 'open' ? <Text className='ld-tag is-muted'>暂停接单</Text> : null}
        <View style={{ flex: 1 }} />
        {current?.id === p.id && p.status === 'open' ? (
          <Text className='ld-tag ld-current-tag'>当前自提点</Text>
        ) : (
          <Button className='btn btn-small ld-choose' size='mini' disabled={flag(p.status !== 'open' || choosing !== null)} loading={flag(choosing === p.id)} onClick={() => void choose(p)}>
            {p.status === 'open' ? '选这里' : '不可选'}
          </Button>
        )}
      </View>
    </View>
  )

  const cityOrigin = located.state === 'ok' ? located.origin.label : null
  return (
    <View className='ld-page ld-points'>
      {mine.data?.point && !mine.data.usable ? <Text className='ld-reason ld-unusable'>你之前的自提点「{mine.data.point.name}」已暂停接单，请重新选择。</Text> : null}
      {shared.data ? (
        <>
          <Text className='ld-section-title'>团长分享的自提点</Text>
          {pointCard(shared.data, '团长推荐')}
        </>
      ) : null}
      {current && current.id !== shared.data?.id && !items.some((i) => i.id === current.id) ? (
        <>
          <Text className='ld-section-title'>我的自提点</Text>
          {pointCard(current)}
        </>
      ) : null}

      {located.state === 'locating' ? <Loading text='正在获取位置…' /> : null}
      {located.state === 'denied' || showCities ? (
        <View className='ld-card ld-city-picker'>
          <Text className='ld-line-hint'>{located.state === 'denied' ? '未获得定位权限，请选择所在城市：' : '选择城市：'}</Text>
          {cities.error && !cities.data ? <ErrorState error={cities.error} onRetry={() => void cities.reload()} /> : null}
          {cities.data && cities.data.items.length === 0 ? <Empty text='暂时还没有开放的自提点' /> : null}
          <View className='ld-cities' style={{ marginTop: '16px' }}>
            {cities.data?.items.map((c) => (
              <Text
                key={`${c.province}-${c.city}`}
                className={`ld-city ld-city-${c.city}${cityOrigin === c.city ? ' is-active' : ''}`}
                onClick={() => {
                  setShowCities(false)
                  setLocated({ state: 'ok', origin: { lat: c.lat, lng: c.lng, label: c.city } })
                }}
              >
                {`${c.city} · ${c.points} 个自提点`}
              </Text>
            ))}
          </View>
        </View>
      ) : null}

      {located.state === 'ok' ? (
        <>
          <View className='ld-where'>
            <Text className='ld-where-label'>{located.origin.label === MY_PLACE ? '离你最近的自提点' : `${located.origin.label}的自提点 · 离市中心由近到远`}</Text>
            <Text className='ld-link ld-switch-city' onClick={() => setShowCities(true)}>切换城市</Text>
          </View>
          {error && items.length === 0 ? <ErrorState error={error} onRetry={() => void load(located.origin, 1)} /> : null}
          {!error && !loading && items.length === 0 ? <Empty text='附近暂时没有自提点' hint='换个城市看看，或邀请身边的店主成为团长' /> : null}
          {items.map((p) => pointCard(p))}
          {loading ? <Loading /> : null}
          {hasMore && !loading ? (
            <Button className='btn btn-ghost btn-block ld-more' onClick={() => void load(located.origin, page + 1)}>
              加载更多
            </Button>
          ) : null}
        </>
      ) : null}
    </View>
  )
}
