import { useEffect, useState } from 'react'
import Taro, { useRouter } from '@tarojs/taro'
import { Button, Input, Switch, Text, Textarea, View } from '@tarojs/components'
import { AddressInput } from '@tuan/shared/schemas'
import { createAddress, listAddresses, updateAddress } from '../../../../api/address'
import { showErrorToast } from '../../../../api/request'
import { ErrorState, Loading } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { parseId, ROUTES } from '../../../../utils/routes'
import '../../address.css'

type Form = { name: string; phone: string; province: string; city: string; district: string; detail: string; isDefault: boolean }
const EMPTY: Form = { name: '', phone: '', province: '', city: '', district: '', detail: '', isDefault: false }
const FIELDS: ReadonlyArray<{ key: Exclude<keyof Form, 'isDefault' | 'detail'>; label: string; placeholder: string; type?: 'number' }> = [
  { key: 'name', label: '收货人', placeholder: '姓名' },
  { key: 'phone', label: '手机号', placeholder: '11 位手机号', type: 'number' },
  { key: 'province', label: '省份', placeholder: '如 广东省' },
  { key: 'city', label: '城市', placeholder: '如 深圳市' },
  { key: 'district', label: '区县', placeholder: '如 南山区' },
]

/** New address, or edit mine (`id`). Checked with the same schema the server validates with. */
export default function AddressEdit() {
  const id = parseId(useRouter().params.id)
  const existing = useApi(async () => (await listAddresses()).items.find((a) => a.id === id) ?? null, [id], { enabled: id !== null })
  const [form, setForm] = useState<Form>(EMPTY)
  const [saving, setSaving] = useState(false)

  useEffect(() => {
    const a = existing.data
    if (a) setForm({ name: a.name, phone: a.phone, province: a.province, city: a.city, district: a.district, detail: a.detail, isDefault: a.isDefault })
  }, [existing.data])

  if (id !== null && existing.error) return <ErrorState error={existing.error} onRetry={() => void existing.reload()} />
  if (id !== null && existing.data === null) return <ErrorState text='地址不存在' back={{ text: '返回地址列表', onClick: () => void Taro.redirectTo({ url: ROUTES.addresses }) }} />
  if (id !== null && !existing.data) return <Loading />

  const set = (key: keyof Form, value: string | boolean) => setForm((f) => ({ ...f, [key]: value }))
  const save = async () => {
    const parsed = AddressInput.safeParse(form)
    if (!parsed.success) {
      void Taro.showToast({ title: parsed.error.issues[0]?.message.startsWith('请') ? parsed.error.issues[0].message : '请完整填写收货信息', icon: 'none' })
      return
    }
    setSaving(true)
    try {
      if (id !== null) await updateAddress(id, parsed.data)
      else await createAddress(parsed.data)
      void Taro.showToast({ title: '已保存', icon: 'none' })
      await Taro.navigateBack()
    } catch (e) {
      showErrorToast(e)
    } finally {
      setSaving(false)
    }
  }

  return (
    <View className='addr-page addr-form'>
      <View className='addr-form-card'>
        {FIELDS.map((f) => (
          <View key={f.key} className={`addr-form-row addr-field-${f.key}`}>
            <Text className='addr-form-label'>{f.label}</Text>
            <Input className='addr-form-input' type={f.type === 'number' ? 'number' : 'text'} value={form[f.key]} placeholder={f.placeholder} maxlength={f.key === 'phone' ? 11 : 20} onInput={(e) => set(f.key, e.detail.value)} />
          </View>
        ))}
        <View className='addr-form-row addr-field-detail'>
          <Text className='addr-form-label'>详细地址</Text>
          <Textarea className='addr-form-textarea' value={form.detail} placeholder='街道、楼栋、门牌号' maxlength={120} autoHeight onInput={(e) => set('detail', e.detail.value)} />
        </View>
        <View className='addr-form-row addr-field-default'>
          <Text className='addr-form-label'>设为默认地址</Text>
          <Switch className='addr-form-switch' checked={form.isDefault} color='#ff5a1f' onChange={(e) => set('isDefault', e.detail.value)} />
        </View>
      </View>
      <Button className='btn addr-save' disabled={flag(saving)} loading={flag(saving)} onClick={() => void save()}>
        保存
      </Button>
    </View>
  )
}
