export { Loading, Empty, ErrorState } from './StateViews'
export { Price, priceRange } from './Price'
export { CountdownText } from './Countdown'
export { Avatar } from './Avatar'
