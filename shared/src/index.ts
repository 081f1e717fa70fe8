export * from './errors';
export * from './money';
export * from './time';
export * from './enums';
export * from './schemas';
export * from './coupon';
export * from './events';
export * from './contracts';
