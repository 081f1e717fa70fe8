import { useEffect, useState } from 'react'
import Taro, { useDidShow } from '@tarojs/taro'
import { Button, Input, Text, View } from '@tarojs/components'
import { PickupPointKind, leaderStatusZh } from '@tuan/shared/enums'
import { LeaderApplicationRequest } from '@tuan/shared/schemas'
import { applyLeader, getMyLeader } from '../../../../api/leader'
import { showErrorToast } from '../../../../api/request'
import { useSession } from '../../../../auth'
import { ErrorState, Loading, LoginPrompt } from '../../../../components'
import { useApi } from '../../../../hooks/useApi'
import { flag } from '../../../../utils/flag'
import { ROUTES } from '../../../../utils/routes'
import { kindLabel } from '../../leader'
import '../../leader.css'

type Form = Record<'name' | 'phone' | 'pointName' | 'province' | 'city' | 'district' | 'address' | 'openingHours' | 'lat' | 'lng', string> & { kind: PickupPointKind }
const EMPTY: Form = { name: '', phone: '', pointName: '', kind: 'store', province: '', city: '', district: '', address: '', openingHours: '08:00-21:00', lat: '', lng: '' }
const FIELDS: ReadonlyArray<{ key: Exclude<keyof Form, 'kind'>; label: string; placeholder: string; max: number; type?: 'number' | 'digit' }> = [
  { key: 'name', label: '团长姓名', placeholder: '真实姓名', max: 20 },
  { key: 'phone', label: '手机号', placeholder: '11 位手机号', max: 11, type: 'number' },
  { key: 'pointName', label: '自提点名称', placeholder: '如 幸福里便利店', max: 40 },
  { key: 'province', label: '省份', placeholder: '如 广东省', max: 20 },
  { key: 'city', label: '城市', placeholder: '如 深圳市', max: 20 },
  { key: 'district', label: '区县', placeholder: '如 南山区', max: 20 },
  { key: 'address', label: '详细地址', placeholder: '街道、小区、门牌号', max: 120 },
  { key: 'openingHours', label: '营业时间', placeholder: '如 08:00-21:00', max: 40 },
  { key: 'lat', label: '纬度', placeholder: '点「使用当前位置」自动填写', max: 12, type: 'digit' },
  { key: 'lng', label: '经度', placeholder: '点「使用当前位置」自动填写', max: 12, type: 'digit' },
]

/**
 * 申请成为团长: the application form; once sent, its review status (审核中 / 未通过 with the
 * operator's reason and 重新申请 / approved → the leader centre). The form is checked with the
 * schema the server validates with; a rejected application comes back pre-filled.
 */
export default function LeaderApply() {
  const session = useSession()
  const me = useApi(() => getMyLeader(), [session?.user?.id], { enabled: !!session })
  const [form, setForm] = useState<Form>(EMPTY)
  const [saving, setSaving] = useState(false)
  useDidShow(() => {
    if (session && me.data !== undefined) void me.reload()
  })

  const leader = me.data
  useEffect(() => {
    if (!leader) return
    const p = leader.point
    setForm({
      name: leader.name, phone: leader.phone, pointName: p.name, kind: p.kind, province: p.province, city: p.city, district: p.district,
      address: p.address, openingHours: p.openingHours, lat: String(p.lat), lng: String(p.lng),
    })
  }, [leader])

  if (!session) return <LoginPrompt text='登录后申请成为团长' name='ld-apply' />
  if (me.error && me.data === undefined) return <ErrorState error={me.error} onRetry={() => void me.reload()} />
  if (me.data === undefined) return <Loading />

  const set = (key: keyof Form, value: string) => setForm((f) => ({ ...f, [key]: value }))
  const locate = async () => {
    try {
      const r = await Taro.getLocation({ type: 'wgs84' })
      setForm((f) => ({ ...f, lat: r.latitude.toFixed(6), lng: r.longitude.toFixed(6) }))
    } catch {
      void Taro.showToast({ title: '未获得定位权限，请手动填写经纬度', icon: 'none' })
    }
  }
  const submit = async () => {
    const parsed = LeaderApplicationRequest.safeParse({ ...form, lat: form.lat.trim(), lng: form.lng.trim(), photoUrl: null })
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = FIELDS.find((f) => f.key === issue?.path[0])
      void Taro.showToast({ title: issue?.message.startsWith('请') ? issue.message : `请检查「${field?.label ?? '表单'}」`, icon: 'none' })
      return
    }
    setSaving(true)
    try {
      me.setData(await applyLeader(parsed.data))
      void Taro.showToast({ title: '申请已提交', icon: 'success' })
    } catch (e) {
      showErrorToast(e)
    } finally {
      setSaving(false)
    }
  }

  if (leader && leader.status !== 'rejected') {
    const approved = leader.status === 'approved' || leader.status === 'suspended'
    return (
      <View className='ld-page ld-apply'>
        <View className={`ld-status ld-status-${leader.status}`}>
          <Text className='ld-status-title'>{leaderStatusZh[leader.status]}</Text>
          <Text className='ld-status-text'>
            {leader.status === 'applied'
              ? `「${leader.point.name}」的团长申请已提交，运营审核通过后即可开始接单。`
              : leader.status === 'approved'
                ? '你已成为团长，自提点已开放。'
                : '你的团长资格已暂停，自提点暂不接新订单；已有订单仍可完成提货。'}
          </Text>
        </View>
        <View className='ld-card'>
          <Text className='ld-point-name'>{leader.point.name}</Text>
          <Text className='ld-line'>{`${leader.point.province}${leader.point.city}${leader.point.district} ${leader.point.address}`}</Text>
          <Text className='ld-line-hint'>{`营业时间 ${leader.point.openingHours} · ${kindLabel(leader.point.kind)} · 联系电话 ${leader.phoneMasked}`}</Text>
        </View>
        {approved ? (
          <Button className='btn btn-block ld-go-centre' onClick={() => void Taro.redirectTo({ url: ROUTES.leaderCentre })}>
            进入团长中心
          </Button>
        ) : (
          <Button className='btn btn-ghost btn-block ld-back' onClick={() => void Taro.navigateBack().catch(() => Taro.switchTab({ url: ROUTES.me }))}>
            返回
          </Button>
        )}
      </View>
    )
  }

  return (
    <View className='ld-page ld-apply ld-apply-form'>
      {leader?.status === 'rejected' ? (
        <Text className='ld-reason ld-reject-reason'>{`申请未通过：${leader.rejectReason ?? '未说明原因'}。修改后可重新提交。`}</Text>
      ) : (
        <Text className='ld-line-hint' style={{ marginBottom: '16px' }}>成为团长，在家门口开一个自提点：邻居下单，次日到你这里提货，你赚取佣金。</Text>
      )}
      <View className='ld-card'>
        {FIELDS.map((f) => (
          <View key={f.key} className={`ld-form-row ld-field-${f.key}`}>
            <Text className='ld-form-label'>{f.label}</Text>
            <Input className='ld-form-input' type={f.type ?? 'text'} value={form[f.key]} placeholder={f.placeholder} maxlength={f.max} onInput={(e) => set(f.key, e.detail.value)} />
          </View>
        ))}
        <View className='ld-form-row ld-field-kind'>
          <Text className='ld-form-label'>自提点类型</Text>
          <View className='ld-kinds'>
            {PickupPointKind.map((k) => (
              <Text key={k} className={`ld-city ld-kind-${k}${form.kind === k ? ' is-active' : ''}`} onClick={() => set('kind', k)}>
                {kindLabel(k)}
              </Text>
            ))}
          </View>
        </View>
        <Button className='btn btn-ghost btn-block ld-locate' onClick={() => void locate()}>
          使用当前位置
        </Button>
      </View>
      <View className='ld-bar'>
        <Button className='btn btn-block ld-submit' disabled={flag(saving)} loading={flag(saving)} onClick={() => void submit()}>
          {leader?.status === 'rejected' ? '重新提交申请' : '提交申请'}
        </Button>
      </View>
    </View>
  )
}
