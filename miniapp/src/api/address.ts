import * as routes from '@tuan/shared/contracts'
import type { AddressInput, AddressList, AddressView } from '@tuan/shared/schemas'
import { call } from './request'

/** My addresses, the default first (at most `max`). */
export function listAddresses(): Promise<AddressList> {
  return call(routes.listAddresses)
}

export function createAddress(body: AddressInput): Promise<AddressView> {
  return call(routes.createAddress, { body })
}

export function updateAddress(id: number, body: AddressInput): Promise<AddressView> {
  return call(routes.updateAddress, { params: { id }, body })
}

export function setDefaultAddress(id: number): Promise<AddressView> {
  return call(routes.setDefaultAddress, { params: { id } })
}

export function deleteAddress(id: number): Promise<{ ok: true }> {
  return call(routes.deleteAddress, { params: { id } })
}
