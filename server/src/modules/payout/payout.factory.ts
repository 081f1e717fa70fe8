import type Redis from 'ioredis';
import { ensureSandboxKeys, type PaymentConfig } from '../payment';
import type { PayoutProvider } from './payout.provider';
import { SandboxPayoutProvider } from './sandbox.provider';
import { WechatPayoutProvider } from './wechat.provider';

export type PayoutProviderName = 'sandbox' | 'wechat';

/**
 * Everything a payout provider needs. The merchant identity, keys and sandbox keys are the payment
 * provider's (one WeChat Pay merchant pays in and out); `platformCerts[0]` also encrypts `user_name`.
 * Secrets live only here and in the providers' private fields.
 */
export type PayoutConfig = Pick<
  PaymentConfig,
  'appId' | 'mchId' | 'merchantSerialNo' | 'merchantPrivateKeyPem' | 'platformCerts' | 'apiV3Key' | 'baseUrl' | 'sandboxKeyDir' | 'timeoutMs'
> & {
  provider: PayoutProviderName;
  /** Where MCHTRANSFER.BILL.FINISHED callbacks go (https and public in production); a function when the port is known later. */
  notifyUrl: string | (() => string);
  /** Sandbox: how long a transfer waits for the user's confirmation before WeChat closes it (24 h). */
  confirmWindowMs?: number;
};

export interface PayoutProviderDeps {
  /** The sandbox keeps its bills in Redis. */
  redis?: Redis;
  redisPrefix?: string;
}

/**
 * Builds the configured provider. Refusing the sandbox in production is the configuration check's
 * job (core/config.ts), as for payments.
 */
export async function createPayoutProvider(config: PayoutConfig, deps: PayoutProviderDeps = {}): Promise<PayoutProvider> {
  switch (config.provider) {
    case 'wechat': {
      const { provider: _provider, sandboxKeyDir: _dir, confirmWindowMs: _window, ...opts } = config;
      return new WechatPayoutProvider(opts);
    }
    case 'sandbox': {
      if (!deps.redis) throw new Error('the sandbox payout provider needs a Redis client');
      const keys = await ensureSandboxKeys(config.sandboxKeyDir);
      return new SandboxPayoutProvider({
        keys,
        appId: config.appId,
        mchId: config.mchId,
        notifyUrl: config.notifyUrl,
        timeoutMs: config.timeoutMs,
        redis: deps.redis,
        redisPrefix: deps.redisPrefix ?? 'tuan:',
        ...(config.confirmWindowMs === undefined ? {} : { confirmWindowMs: config.confirmWindowMs }),
      });
    }
    default: {
      const never: never = config.provider;
      throw new Error(`unknown payout provider ${String(never)}`);
    }
  }
}
