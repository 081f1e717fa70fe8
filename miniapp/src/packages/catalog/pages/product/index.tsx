import Taro, { useRouter, useShareAppMessage } from '@tarojs/taro'
import { Image, Swiper, SwiperItem, Text, View } from '@tarojs/components'
import { ErrorCode } from '@tuan/shared/errors'
import { getProduct } from '../../../../api/catalog'
import { resolveAssetUrl } from '../../../../api/config'
import { isApiError } from '../../../../api/request'
import { ErrorState, Loading, Price, priceRange } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { ROUTES } from '../../../../utils/routes'
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

  const goHome = () => {
    void Taro.switchTab({ url: ROUTES.home })
  }

  if (id === null || (isApiError(error) && error.code === ErrorCode.PRODUCT_NOT_FOUND)) {
    return <ErrorState text='商品不存在或已下架' onRetry={goHome} retryText='去首页看看' />
  }
  if (error) return <ErrorState error={error} onRetry={() => void reload()} />
  if (loading || !product) return <Loading />

  const range = priceRange(product.skus.map((s) => s.listPrice))
  const totalStock = product.skus.reduce((sum, s) => sum + Math.max(0, s.stock), 0)

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
        {range ? <Price fen={range.min} maxFen={range.max} size='large' className='product-price' /> : <Text className='product-price-none'>暂无报价</Text>}
        <Text className='product-name'>{product.title}</Text>
        <View className='product-meta'>
          <Text className='product-tag'>{product.category}</Text>
          {totalStock <= 0 ? <Text className='product-tag product-tag-sold-out'>已售罄</Text> : null}
        </View>
      </View>

      <View className='product-section'>
        <Text className='product-section-title'>规格</Text>
        {product.skus.map((sku) => (
          <View key={sku.id} className={`sku sku-${sku.id}${sku.stock <= 0 ? ' is-sold-out' : ''}`}>
            <Text className='sku-label'>{sku.specLabel}</Text>
            <Price fen={sku.listPrice} size='small' />
            <Text className='sku-stock'>{sku.stock > 0 ? `库存 ${sku.stock}` : '已售罄'}</Text>
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
