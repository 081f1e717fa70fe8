import { createAddress, deleteAddress, listAddresses, setDefaultAddress, updateAddress } from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { AddressService } from './address.service';

export function registerAddressRoutes(r: ApiRouter, addresses: AddressService): void {
  r.add(listAddresses, (_input, sctx) => addresses.list(sctx));
  r.add(createAddress, ({ body }, sctx) => addresses.create(sctx, body));
  r.add(updateAddress, ({ params, body }, sctx) => addresses.update(sctx, params.id, body));
  r.add(setDefaultAddress, ({ params }, sctx) => addresses.setDefault(sctx, params.id));
  r.add(deleteAddress, ({ params }, sctx) => addresses.remove(sctx, params.id));
}
