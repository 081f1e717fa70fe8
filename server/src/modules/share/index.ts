/** The share module's public face (spec §6): shares, visits, attribution, binding, coupon packs. */
export { ShareService, newShareToken, type ShareServiceDeps, type ShareServiceOptions } from './share.service';
export { VisitWriter, type VisitRecord } from './share.visits';
export { InviterBinding, type BindingOptions } from './share.binding';
export { SharePackService, type SharePackDeps } from './share.pack';
export { LocalQrProvider, WxacodeProvider, type ShareCodeProvider, type WxacodeOptions } from './share.code';
export { registerShareRoutes, sharePage, type ShareRouteDeps } from './share.routes';
