import type { RouteAuth } from './define';
// Operator roles shared by the admin routes of several domains.

/** Operators who change the catalogue, campaigns and coupons (the `admin` role always passes). */
export const EDITORS = { roles: ['operator'] } as const satisfies RouteAuth;
/** Operators who may look at them. */
export const READERS = { roles: ['operator', 'support', 'finance'] } as const satisfies RouteAuth;
