import * as routes from '@tuan/shared/contracts'
import type { ProductDetail, ProductPage } from '@tuan/shared/schemas'
import { call } from './request'

export function listProducts(page = 1, pageSize = 10, category?: string): Promise<ProductPage> {
  return call(routes.listProducts, { query: { page, pageSize, category } })
}

export function getProduct(id: number): Promise<ProductDetail> {
  return call(routes.getProduct, { params: { id } })
}
