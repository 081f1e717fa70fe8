import Taro, { useRouter, useShareAppMessage } from '@tarojs/taro'
import { Button, Image, Swiper, SwiperItem, Text, View } from '@tarojs/components'
import { formatFen } from '@tuan/shared/money'
import type { CampaignView } from '@tuan/shared/schemas'
import { ErrorCode } from '@tuan/shared/errors'
import { getProduct } from '../../../../api/catalog'
import { resolveAssetUrl } from '../../../../api/config'
import { isApiError } from '../../../../api/request'
import { listCampaigns } from '../../../../api/groupbuy'
import { CountdownText, ErrorState, Loading, Price, priceRange } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { ROUTES } from '../../../../utils/routes'
import { useCheckoutEntry } from '../../../../hooks/useCheckoutEntry'
import { flag } from '../../../../utils/flag'
import { useShareToken, withShareToken } from '../../../../share/useShare'
import './index.css'

function parseId(raw: string | undefined): number | null {
  const n = Number(raw)
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

export default function ProductPage() {
  const router = useRouter()
  const id = parseId(router.params.id)
  const { data: product, error, loading, reload } = useApi(() => getProduct(id as number), [id], { enabled: id !== null })

  // My share of this product: its token rides in the card's path (created ahead; WeChat has no share callback).
  const shareToken = useShareToken('product', id)
  useShareAppMessage(() => ({
    title: product ? product.title : '团 · 社区团购',
    path: id ? withShareToken(ROUTES.product(id), shareToken) : ROUTES.home,
    imageUrl: product?.images[0] ? resolveAssetUrl(product.images[0]) : undefined,
  }))

  // The running group deals of this product: the product page is where a shopper decides to buy.
  const deals = useApi(() => listCampaigns(1, 10, id as number), [id], { enabled: id !== null })
  const { busy, go: buy } = useCheckoutEntry()

  if (id === null || (isApiError(error) && error.code === ErrorCode.PRODUCT_NOT_FOUND)) {
    return <ErrorState text='商品不存在或已下架' error={error} />
  }
  if (error) return <ErrorState error={error} onRetry={() => void reload()} />
  if (loading || !product) return <Loading />

  const range = priceRange(product.skus.map((s) => s.listPrice))
  const totalStock = product.skus.reduce((sum, s) => sum + Math.max(0, s.stock), 0)
  const running = (deals.data?.items ?? []).filter((c) => c.stockLeft > 0)
  const best: CampaignView | undefined = running.slice().sort((a, b) => a.groupPrice - b.groupPrice)[0]

  return (
    <View className='product'>
      {product.images.length > 0 ? (
        <Swiper className='product-swiper' indicatorDots={product.images.length > 1} circular={product.images.length > 1} autoplay={product.images.length > 1}>
          {product.images.map((src, i) => (
            <SwiperItem key={`${i}-${src}`}>
              <Image className='product-swiper-image' src={resolveAssetUrl(src)} mode='aspectFill' />
            </SwiperItem>
          ))}
        </Swiper>
      ) : (
        <View className='product-swiper product-no-image'>
          <Text>暂无图片</Text>
        </View>
      )}

      <View className='product-section product-head'>
        {best ? (
          <View className='product-group-price-row'>
            <Text className='product-group-tag'>{best.groupSize}人团</Text>
            <Price fen={best.groupPrice} size='large' className='product-price product-group-price' />
            <Text className='product-single-price'>单买 {formatFen(best.listPrice)}</Text>
          </View>
        ) : range ? (
          <Price fen={range.min} maxFen={range.max} size='large' className='product-price' />
        ) : (
          <Text className='product-price-none'>暂无报价</Text>
        )}
        <Text className='product-name'>{product.title}</Text>
        <View className='product-meta'>
          <Text className='product-tag'>{product.category}</Text>
          {totalStock <= 0 ? <Text className='product-tag product-tag-sold-out'>已售罄</Text> : null}
        </View>
      </View>

      {running.length > 0 ? (
        <View className='product-section product-deals'>
          <Text className='product-section-title'>正在拼团</Text>
          {running.map((c) => (
            <View key={c.id} className={`product-deal product-deal-${c.id}`}>
              <View className='product-deal-main' onClick={() => void Taro.navigateTo({ url: ROUTES.campaign(c.id) })}>
                <View className='product-deal-prices'>
                  <Text className='product-deal-size'>{c.groupSize}人团</Text>
                  <Text className='product-deal-price'>{formatFen(c.groupPrice)}</Text>
                  <Text className='product-deal-spec'>{c.specLabel}</Text>
                </View>
                <View className='product-deal-meta'>
                  <Text className='product-deal-stock'>活动剩余 {c.stockLeft} 件</Text>
                  <CountdownText className='product-deal-ends' deadline={c.endsAt} serverTime={c.serverTime} prefix=' · 距结束 ' doneText=' · 已结束' />
                </View>
                <Text className='product-deal-join'>看看正在拼的团，直接参团 ›</Text>
              </View>
              <View className='product-deal-actions'>
                {c.allowSolo ? (
                  <Button className='btn btn-ghost btn-small product-deal-solo' disabled={flag(!!busy)} onClick={() => void buy(`solo-${c.id}`, { kind: 'solo', campaignId: c.id })}>
                    单独购买 {formatFen(c.listPrice)}
                  </Button>
                ) : null}
                <Button className='btn btn-small product-deal-launch' disabled={flag(!!busy)} loading={flag(busy === `launch-${c.id}`)} onClick={() => void buy(`launch-${c.id}`, { kind: 'launch', campaignId: c.id })}>
                  开团 {formatFen(c.openerPrice)}
                </Button>
              </View>
            </View>
          ))}
          <Text className='product-deal-note'>活动剩余是拼团活动单独划出的库存，与下方规格里的商品库存分开计算。</Text>
        </View>
      ) : deals.data ? (
        <View className='product-section product-no-deal'>
          <Text className='product-section-title'>拼团</Text>
          <Text className='product-description'>这个商品暂时没有拼团活动，去首页看看正在拼的好物吧。</Text>
          <Button className='btn btn-ghost btn-small product-go-home' onClick={() => void Taro.switchTab({ url: ROUTES.home })}>
            去首页逛逛
          </Button>
        </View>
      ) : null}

      <View className='product-section'>
        <Text className='product-section-title'>规格</Text>
        {product.skus.map((sku) => (
          <View key={sku.id} className={`sku sku-${sku.id}${sku.stock <= 0 ? ' is-sold-out' : ''}`}>
            <Text className='sku-label'>{sku.specLabel}</Text>
            <Price fen={sku.listPrice} size='small' />
            <Text className='sku-stock'>{sku.stock > 0 ? `商品库存 ${sku.stock}` : '已售罄'}</Text>
          </View>
        ))}
      </View>

      <View className='product-section'>
        <Text className='product-section-title'>商品详情</Text>
        <Text className='product-description'>{product.description || '暂无详情'}</Text>
      </View>
    </View>
  )
}
