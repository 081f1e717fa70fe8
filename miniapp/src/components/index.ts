export { Loading, Empty, ErrorState } from './StateViews'
export { Price, priceRange } from './Price'
