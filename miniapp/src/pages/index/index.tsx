import { useCallback, useEffect, useRef, useState } from 'react'
import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { Image, Text, View } from '@tarojs/components'
import type { CampaignView, ProductSummary } from '@tuan/shared/schemas'
import { listProducts } from '../../api/catalog'
import { resolveAssetUrl } from '../../api/config'
import { errorText, showErrorToast } from '../../api/request'
import { Empty, ErrorState, Loading, Price } from '../../components'
import { ROUTES } from '../../utils/routes'
import { CampaignSection } from './CampaignSection'
import './index.css'

const PAGE_SIZE = 10

/** The cheapest running group deal of each product, from the home page's campaign list. */
function dealsByProduct(campaigns: CampaignView[]): Map<number, CampaignView> {
  const m = new Map<number, CampaignView>()
  for (const c of campaigns) {
    if (c.stockLeft <= 0) continue
    const seen = m.get(c.productId)
    if (!seen || c.groupPrice < seen.groupPrice) m.set(c.productId, c)
  }
  return m
}

function ProductCard({ product, deal }: { product: ProductSummary; deal?: CampaignView }) {
  const soldOut = product.stock <= 0
  const open = () => {
    void Taro.navigateTo({ url: ROUTES.product(product.id) })
  }
  return (
    <View className={`product-card product-card-${product.id}${soldOut ? ' is-sold-out' : ''}`} id={`product-${product.id}`} onClick={open}>
      <View className='product-cover-wrap'>
        {product.coverImage ? (
          <Image className='product-cover' src={resolveAssetUrl(product.coverImage)} mode='aspectFill' lazyLoad />
        ) : (
          <View className='product-cover product-cover-placeholder'>
            <Text>暂无图片</Text>
          </View>
        )}
        {soldOut ? <Text className='product-sold-out'>已售罄</Text> : null}
      </View>
      <View className='product-info'>
        <Text className='product-title'>{product.title}</Text>
        <Text className='product-category'>{product.category}</Text>
        {deal ? (
          <View className='product-bottom product-bottom-deal'>
            <Text className='product-group-tag'>{deal.groupSize}人团</Text>
            <Price fen={deal.groupPrice} className='product-group-price' />
            <Price fen={product.minPrice} size='small' className='price-struck product-list-price' />
          </View>
        ) : (
          <View className='product-bottom'>
            <Price fen={product.minPrice} />
            {product.maxPrice > product.minPrice ? <Text className='product-price-from'>起</Text> : null}
          </View>
        )}
      </View>
    </View>
  )
}

export default function Index() {
  const [items, setItems] = useState<ProductSummary[]>([])
  const [page, setPage] = useState(0)
  const [total, setTotal] = useState(0)
  const [initialLoading, setInitialLoading] = useState(true)
  const [loadingMore, setLoadingMore] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const busy = useRef(false)
  const [refreshSignal, setRefreshSignal] = useState(0)
  const [deals, setDeals] = useState<Map<number, CampaignView>>(() => new Map())

  const loadFirst = useCallback(async () => {
    busy.current = true
    setError(undefined)
    try {
      const res = await listProducts(1, PAGE_SIZE)
      setItems(res.items)
      setPage(1)
      setTotal(res.total)
    } catch (e) {
      setError(e)
    } finally {
      busy.current = false
      setInitialLoading(false)
    }
  }, [])

  useEffect(() => {
    void loadFirst()
  }, [loadFirst])

  usePullDownRefresh(() => {
    setRefreshSignal((n) => n + 1)
    void loadFirst().finally(() => Taro.stopPullDownRefresh())
  })

  const hasMore = items.length < total

  const loadMore = useCallback(async () => {
    if (busy.current || !hasMore || error) return
    busy.current = true
    setLoadingMore(true)
    try {
      const res = await listProducts(page + 1, PAGE_SIZE)
      setItems((prev) => {
        const seen = new Set(prev.map((p) => p.id))
        return prev.concat(res.items.filter((p) => !seen.has(p.id)))
      })
      setPage(res.page)
      setTotal(res.total)
    } catch (e) {
      showErrorToast(e)
    } finally {
      busy.current = false
      setLoadingMore(false)
    }
  }, [hasMore, error, page])

  useReachBottom(() => {
    void loadMore()
  })

  let body
  if (initialLoading) {
    body = <Loading />
  } else if (error && items.length === 0) {
    body = <ErrorState error={error} text={errorText(error)} onRetry={() => { setInitialLoading(true); void loadFirst() }} />
  } else if (items.length === 0) {
    body = <Empty text='暂无在售商品' hint='下拉刷新看看' />
  } else {
    body = (
      <View>
        <View className='product-grid'>
          {items.map((p) => (
            <ProductCard key={p.id} product={p} deal={deals.get(p.id)} />
          ))}
        </View>
        <View className='list-footer' onClick={hasMore ? () => void loadMore() : undefined}>
          <Text>{loadingMore ? '加载中…' : hasMore ? '上拉加载更多' : '没有更多了'}</Text>
        </View>
      </View>
    )
  }

  return (
    <View className='home'>
      <View className='home-banner'>
        <Text className='home-banner-title'>邻里拼团 · 产地直供</Text>
        <Text className='home-banner-sub'>今日下单，明日到团长处自提</Text>
      </View>
      <View className='home-coupon-tile' onClick={() => void Taro.navigateTo({ url: ROUTES.couponCenter })}>
        <Text className='home-coupon-tag'>券</Text>
        <View className='home-coupon-text'>
          <Text className='home-coupon-title'>领券中心</Text>
          <Text className='home-coupon-sub'>先领券，下单立减</Text>
        </View>
        <Text className='home-coupon-go'>去领取 ›</Text>
      </View>
      <CampaignSection refreshSignal={refreshSignal} onLoaded={(items) => setDeals(dealsByProduct(items))} />
      <View className='home-products-head'>
        <Text className='home-products-title'>全部商品</Text>
      </View>
      {body}
    </View>
  )
}
