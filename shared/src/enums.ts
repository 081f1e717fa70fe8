/** Every status enum of the product, as const tuples so zod schemas and DB enums share them. */
export const ProductStatus = ['draft', 'on_sale', 'archived'] as const;
export type ProductStatus = (typeof ProductStatus)[number];

export const AdminRole = ['admin', 'operator', 'finance', 'support'] as const;
export type AdminRole = (typeof AdminRole)[number];

export const LoginProvider = ['wechat', 'dev'] as const;
export type LoginProvider = (typeof LoginProvider)[number];
