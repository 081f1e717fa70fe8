/**
 * Boolean props of Taro's h5 Button (disabled, loading) become attributes, and a present
 * `disabled="false"` still matches Taro's `taro-button-core[disabled]` style: pass undefined when off.
 */
export function flag(on: boolean): true | undefined {
  return on ? true : undefined
}
