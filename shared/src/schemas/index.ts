export * from './common';
export * from './auth';
export * from './catalog';
export * from './admin';
export * from './groupbuy';
export * from './coupon';
export * from './events';
export * from './share';
