export * from './request'
export * from './config'
export * as authApi from './auth'
export * as catalogApi from './catalog'
