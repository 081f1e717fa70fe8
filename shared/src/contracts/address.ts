import { AddressInput, AddressList, AddressView, IdParams, OkResponse } from '../schemas';
import { defineRoute } from './define';

// ---------- the shopper's address book (收货地址); owner only: anyone else's id is a 404 ----------
const tags = ['addresses'];

export const listAddresses = defineRoute({
  method: 'get', path: '/api/addresses', summary: 'My addresses (default first)', tags, auth: 'user', response: AddressList,
});

export const createAddress = defineRoute({
  method: 'post', path: '/api/addresses', summary: 'Add an address (at most 20; the first becomes the default)', tags, auth: 'user',
  body: AddressInput, response: AddressView,
});

export const updateAddress = defineRoute({
  method: 'put', path: '/api/addresses/:id', summary: 'Change my address', tags, auth: 'user',
  params: IdParams, body: AddressInput, response: AddressView,
});

export const setDefaultAddress = defineRoute({
  method: 'post', path: '/api/addresses/:id/default', summary: 'Make my address the default', tags, auth: 'user',
  params: IdParams, response: AddressView, status: 200,
});

export const deleteAddress = defineRoute({
  method: 'delete', path: '/api/addresses/:id', summary: 'Delete my address (orders keep their own copy)', tags, auth: 'user',
  params: IdParams, response: OkResponse,
});
