import { Text, View } from '@tarojs/components'

interface Props<K extends string> {
  tabs: ReadonlyArray<{ key: K; label: string }>
  active: K
  onSelect: (key: K) => void
  /** Extra class of the bar (the shared look is `.list-tabs` in styles/common.css). */
  className: string
  /** Classes of one tab besides the shared `.list-tab` (and `is-active`). */
  tabClassName: (key: K) => string
}

/** The tab bar on top of a tabbed, paged list (订单, 我的优惠券); selecting the active tab does nothing. */
export function ListTabs<K extends string>({ tabs, active, onSelect, className, tabClassName }: Props<K>) {
  return (
    <View className={`${className} list-tabs`}>
      {tabs.map((t) => (
        <View
          key={t.key}
          className={`${tabClassName(t.key)} list-tab${t.key === active ? ' is-active' : ''}`}
          onClick={() => {
            if (t.key !== active) onSelect(t.key)
          }}
        >
          <Text>{t.label}</Text>
        </View>
      ))}
    </View>
  )
}

/** 加载中… / 上拉加载更多 / 没有更多了 under a paged list; tapping it loads more when there is more. */
export function PagedListFooter({ hasMore, loadingMore, onLoadMore }: { hasMore: boolean; loadingMore: boolean; onLoadMore: () => void }) {
  return (
    <View className='paged-list-footer' onClick={hasMore ? onLoadMore : undefined}>
      <Text>{loadingMore ? '加载中…' : hasMore ? '上拉加载更多' : '没有更多了'}</Text>
    </View>
  )
}
