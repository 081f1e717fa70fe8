/** '' on h5 (same-origin relative URLs), absolute on weapp; see config/index.ts. */
export const API_BASE: string = typeof TUAN_API_BASE === 'string' ? TUAN_API_BASE : ''

/** Image URLs may be absolute or server paths like /static/products/x.svg. */
export function resolveAssetUrl(url: string | null | undefined): string {
  if (!url) return ''
  if (/^(https?:)?\/\//i.test(url) || url.startsWith('data:')) return url
  if (url.startsWith('/')) return API_BASE + url
  return url
}
