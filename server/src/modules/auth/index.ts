export { AuthService } from './auth.service';
export { TokenService, USER_AUDIENCE, ADMIN_AUDIENCE } from './auth.tokens';
export { DevLoginProvider, WechatLoginProvider, type LoginProvider, type LoginIdentity } from './login.provider';
export { registerAuthRoutes } from './auth.routes';
export { UserDirectory, type PublicProfile } from './auth.directory';
