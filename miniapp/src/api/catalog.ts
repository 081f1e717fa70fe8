import type { ProductDetail, ProductPage } from '@tuan/shared/schemas'
import { request } from './request'

export function listProducts(page = 1, pageSize = 10, category?: string): Promise<ProductPage> {
  return request<ProductPage>('/api/products', { query: { page, pageSize, category } })
}

export function getProduct(id: number): Promise<ProductDetail> {
  return request<ProductDetail>(`/api/products/${id}`)
}
