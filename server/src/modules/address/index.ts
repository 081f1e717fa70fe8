/** The address module's public face: the address book, and the one question checkout asks of it. */
export { AddressService } from './address.service';
export { registerAddressRoutes } from './address.routes';
