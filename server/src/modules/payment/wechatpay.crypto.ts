import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  publicEncrypt,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';

/**
 * WeChat Pay API v3 cryptography, with node:crypto only.
 *
 * Three things are signed or sealed in v3, and every one of them is here so the real provider, the
 * sandbox provider and the tests use exactly the same bytes:
 * - merchant → WeChat requests: `Authorization: WECHATPAY2-SHA256-RSA2048 …` over
 *   `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`, RSA-SHA256 (PKCS#1 v1.5) with the merchant key;
 * - WeChat → merchant responses and notifications: `Wechatpay-Signature` over `TIMESTAMP\nNONCE\nBODY\n`
 *   with the platform key named by `Wechatpay-Serial`;
 * - notification `resource`: AEAD_AES_256_GCM with the APIv3 key, nonce and associated data as UTF-8,
 *   the 16-byte tag appended to the ciphertext before base64.
 * Plus the JSAPI `paySign` the mini-program hands to `wx.requestPayment`.
 */

/** Why an inbound WeChat Pay message (notification or response) was refused. */
export type NotificationFailureReason =
  | 'SIGNATURE_INVALID'
  | 'SERIAL_UNKNOWN'
  | 'TIMESTAMP_SKEW'
  | 'DECRYPT_FAILED'
  | 'MALFORMED';

/**
 * A notification (or a response) that must not be believed. The `reason` lets the caller answer
 * WeChat with a 4xx/5xx (WeChat then retries) and log why, without the message ever carrying key
 * material or the decrypted resource.
 */
export class PaymentNotificationError extends Error {
  constructor(
    readonly reason: NotificationFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'PaymentNotificationError';
  }
}

/** WeChat allows (and we require) at most five minutes between its clock and ours. */
export const MAX_CLOCK_SKEW_SEC = 300;

/** The `Authorization` scheme of WeChat Pay API v3. */
export const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

/** A platform key WeChat signs with, named by the serial number it sends in `Wechatpay-Serial`. */
export interface PlatformCert {
  serial: string;
  /** SPKI public key PEM, or the platform certificate PEM (either works). */
  publicKeyPem: string;
}

/** Headers as Koa (`ctx.headers`, lower-case keys) or fetch (`Headers`) hand them over. */
export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/** Case-insensitive header lookup over either header shape; the first value when repeated. */
export function getHeader(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const lower = name.toLowerCase();
  let value = bag[lower] ?? bag[name];
  if (value === undefined) {
    const key = Object.keys(bag).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : bag[key];
  }
  return Array.isArray(value) ? value[0] : value;
}

/** 32 upper-case hex characters: WeChat caps nonces at 32 characters. */
export function randomNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** Seconds since the epoch as WeChat writes them (a decimal string). */
export function unixSeconds(nowMs: number = Date.now()): string {
  return Math.floor(nowMs / 1000).toString();
}

/** Accepts a PEM string or an existing key; throws without echoing the PEM. */
export function toPrivateKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  try {
    return createPrivateKey(key);
  } catch {
    throw new Error('merchant/platform private key is not a valid PEM private key');
  }
}

/** Accepts an SPKI PEM, an X.509 certificate PEM or an existing key. */
export function toPublicKey(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key.type === 'private' ? createPublicKey(key) : key;
  try {
    return createPublicKey(key);
  } catch {
    throw new Error('platform public key is not a valid PEM public key or certificate');
  }
}

/**
 * The APIv3 key is a 32-character string set in the merchant platform; AES-256 needs exactly its
 * 32 UTF-8 bytes. Checked once at start-up so a wrong key fails loudly, not on the first payment.
 */
export function toApiV3Key(key: string | Buffer): Buffer {
  const buf = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (buf.length !== 32) throw new Error(`APIv3 key must be 32 bytes (got ${buf.length})`);
  return buf;
}

/** RSA-SHA256 (PKCS#1 v1.5), base64 — the only signature algorithm of API v3. */
export function signSha256Rsa(message: string | Buffer, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

/** Never throws: a garbled signature is simply not valid. */
export function verifySha256Rsa(message: string | Buffer, signatureB64: string, publicKey: KeyObject): boolean {
  try {
    return createVerify('RSA-SHA256').update(message).verify(publicKey, signatureB64, 'base64');
  } catch {
    return false;
  }
}

/** `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`, URL being the absolute path plus query string. */
export function buildRequestSignMessage(method: string, url: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;
}

export interface AuthorizationInput {
  mchId: string;
  serialNo: string;
  privateKey: KeyObject;
  method: string;
  /** Absolute path and query as sent, e.g. `/v3/refund/domestic/refunds/R1`. */
  url: string;
  /** Exactly the body bytes sent ('' for GET). */
  body: string;
  timestamp?: string;
  nonce?: string;
}

/** The merchant's `Authorization` header value for one request. */
export function buildAuthorization(input: AuthorizationInput): string {
  const timestamp = input.timestamp ?? unixSeconds();
  const nonce = input.nonce ?? randomNonce();
  const signature = signSha256Rsa(buildRequestSignMessage(input.method, input.url, timestamp, nonce, input.body), input.privateKey);
  return (
    `${AUTH_SCHEMA} mchid="${input.mchId}",nonce_str="${nonce}",signature="${signature}",` +
    `timestamp="${timestamp}",serial_no="${input.serialNo}"`
  );
}

export interface ParsedAuthorization {
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

/** Parses an `Authorization` header (null if it is not a complete v3 one); used by the test fakes. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (!header?.startsWith(`${AUTH_SCHEMA} `)) return null;
  const fields: Record<string, string> = {};
  for (const m of header.slice(AUTH_SCHEMA.length + 1).matchAll(/(\w+)="([^"]*)"/g)) fields[m[1]!] = m[2]!;
  const { mchid, nonce_str, signature, timestamp, serial_no } = fields;
  if (!mchid || !nonce_str || !signature || !timestamp || !serial_no) return null;
  return { mchid, nonce_str, signature, timestamp, serial_no };
}

/** `TIMESTAMP\nNONCE\nBODY\n` as bytes, so a Buffer body is verified exactly as received. */
export function buildResponseSignMessage(timestamp: string, nonce: string, body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), Buffer.from(body), Buffer.from('\n', 'utf8')]);
}

/** The four `Wechatpay-*` headers WeChat puts on every response and notification. */
export type WechatpaySignatureHeaders = {
  'Wechatpay-Timestamp': string;
  'Wechatpay-Nonce': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Serial': string;
};

/** Signs like WeChat does; used by the sandbox provider (and by tests) with a local platform key. */
export function buildWechatpaySignatureHeaders(input: {
  serial: string;
  privateKey: KeyObject;
  body: string | Buffer;
  timestamp?: string;
  nonce?: string;
}): WechatpaySignatureHeaders {
  const timestamp = input.timestamp ?? unixSeconds();
  const nonce = input.nonce ?? randomNonce();
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signSha256Rsa(buildResponseSignMessage(timestamp, nonce, input.body), input.privateKey),
    'Wechatpay-Serial': input.serial,
  };
}

/**
 * The platform keys we believe, by serial. WeChat rotates platform certificates with an overlap, so
 * several may be configured; a serial we do not know is refused rather than guessed.
 */
export class PlatformKeyring {
  readonly #keys = new Map<string, KeyObject>();

  constructor(certs: ReadonlyArray<PlatformCert | { serial: string; publicKey: KeyObject }>) {
    for (const c of certs) {
      if (!c.serial) throw new Error('platform certificate without a serial number');
      this.#keys.set(c.serial, 'publicKey' in c ? c.publicKey : toPublicKey(c.publicKeyPem));
    }
    if (this.#keys.size === 0) throw new Error('at least one WeChat Pay platform certificate is required');
  }

  get(serial: string): KeyObject | undefined {
    return this.#keys.get(serial);
  }

  get serials(): string[] {
    return [...this.#keys.keys()];
  }
}

/**
 * Verifies a WeChat-signed message (response or notification): known serial, timestamp within
 * five minutes (a replayed old message is refused), RSA-SHA256 over `TIMESTAMP\nNONCE\nBODY\n`.
 * Throws {@link PaymentNotificationError}; returns nothing when the message can be believed.
 */
export function verifyWechatpaySignature(
  headers: HeaderBag,
  body: string | Buffer,
  keyring: PlatformKeyring,
  opts: { nowMs?: number; maxSkewSec?: number } = {},
): void {
  const timestamp = getHeader(headers, 'Wechatpay-Timestamp');
  const nonce = getHeader(headers, 'Wechatpay-Nonce');
  const signature = getHeader(headers, 'Wechatpay-Signature');
  const serial = getHeader(headers, 'Wechatpay-Serial');
  if (!timestamp || !nonce || !signature || !serial) {
    throw new PaymentNotificationError('SIGNATURE_INVALID', 'Wechatpay-Timestamp/Nonce/Signature/Serial headers are required');
  }
  const key = keyring.get(serial);
  if (!key) throw new PaymentNotificationError('SERIAL_UNKNOWN', `unknown WeChat Pay platform serial ${serial.slice(0, 64)}`);
  if (!/^\d{1,12}$/.test(timestamp)) throw new PaymentNotificationError('TIMESTAMP_SKEW', 'Wechatpay-Timestamp is not a number');
  const skew = Math.abs((opts.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > (opts.maxSkewSec ?? MAX_CLOCK_SKEW_SEC)) {
    throw new PaymentNotificationError('TIMESTAMP_SKEW', `Wechatpay-Timestamp is ${Math.round(skew)} s away from our clock`);
  }
  if (!verifySha256Rsa(buildResponseSignMessage(timestamp, nonce, body), signature, key)) {
    throw new PaymentNotificationError('SIGNATURE_INVALID', 'Wechatpay-Signature does not match the body');
  }
}

/** The encrypted part of a notification, as WeChat names its fields. */
export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
  original_type: string;
}

const GCM_TAG_BYTES = 16;

/**
 * AEAD_AES_256_GCM open: base64 ciphertext whose last 16 bytes are the tag, nonce and associated
 * data as UTF-8. Any failure (bad base64, too short, tag mismatch) is DECRYPT_FAILED — GCM tells us
 * nothing more and we must not guess.
 */
export function decryptResource(
  resource: { ciphertext: string; nonce: string; associated_data?: string | undefined },
  apiV3Key: Buffer,
): Buffer {
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(resource.ciphertext)) throw new Error('not base64');
    const data = Buffer.from(resource.ciphertext, 'base64');
    if (data.length < GCM_TAG_BYTES || !resource.nonce) throw new Error('too short');
    const decipher = createDecipheriv('aes-256-gcm', apiV3Key, Buffer.from(resource.nonce, 'utf8'), { authTagLength: GCM_TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PaymentNotificationError('DECRYPT_FAILED', 'notification resource could not be decrypted with the APIv3 key');
  }
}

/**
 * The matching seal, for the sandbox and the fakes. The nonce is 12 random alphanumerics, as WeChat
 * sends, so the IV is the nonce's UTF-8 bytes.
 */
export function encryptResource(
  plaintext: string | Buffer,
  apiV3Key: Buffer,
  opts: { associatedData: string; originalType: string; nonce?: string },
): EncryptedResource {
  const nonce = opts.nonce ?? randomAlphanumeric(12);
  const cipher = createCipheriv('aes-256-gcm', apiV3Key, Buffer.from(nonce, 'utf8'), { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(Buffer.from(opts.associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: body.toString('base64'),
    associated_data: opts.associatedData,
    nonce,
    original_type: opts.originalType,
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Unbiased random alphanumerics (rejection sampling). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHANUMERIC[b % 62];
    }
  }
  return out;
}

/** What `Taro.requestPayment` / `wx.requestPayment` needs for a JSAPI (mini-program) payment. */
export interface JsapiPayParams {
  timeStamp: string;
  nonceStr: string;
  /** `prepay_id=…` */
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** `appId\ntimeStamp\nnonceStr\npackage\n` — what `paySign` signs. */
export function buildJsapiPaySignMessage(appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`;
}

/**
 * Signs the mini-program payment parameters with the merchant key. The client never sees the key;
 * WeChat checks `paySign` against the merchant certificate before it lets the payer pay.
 */
export function buildJsapiPayParams(input: {
  appId: string;
  prepayId: string;
  privateKey: KeyObject;
  timeStamp?: string;
  nonceStr?: string;
}): JsapiPayParams {
  const timeStamp = input.timeStamp ?? unixSeconds();
  const nonceStr = input.nonceStr ?? randomNonce();
  const pkg = `prepay_id=${input.prepayId}`;
  return {
    timeStamp,
    nonceStr,
    package: pkg,
    signType: 'RSA',
    paySign: signSha256Rsa(buildJsapiPaySignMessage(input.appId, timeStamp, nonceStr, pkg), input.privateKey),
  };
}

/**
 * RFC 3339 without fractions, in China Standard Time (`2024-05-01T20:00:00+08:00`): the shape
 * WeChat documents for `time_expire`. It is the same instant as the UTC time we store.
 */
export function formatRfc3339(date: Date, offsetMinutes = 480): string {
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${shifted.toISOString().slice(0, 19)}${off}`;
}

/**
 * Encrypts a sensitive request field (a real name, `user_name`) for WeChat: RSAES-OAEP (SHA-1, MGF1)
 * with the platform public key, base64. The request then names that key in `Wechatpay-Serial`.
 */
export function encryptSensitiveField(plaintext: string, platformPublicKey: KeyObject): string {
  return publicEncrypt({ key: platformPublicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(plaintext, 'utf8')).toString('base64');
}

/** A notification as WeChat would POST it: JSON body plus the signature headers. */
export interface SealedNotification {
  id: string;
  body: string;
  headers: WechatpaySignatureHeaders & { 'Content-Type': 'application/json' };
}

/**
 * Builds a notification exactly like WeChat Pay v3 does — envelope, AES-256-GCM-sealed resource,
 * platform signature — so the sandbox exercises the same verification path as production.
 */
export function sealNotification(input: {
  eventType: string;
  summary: string;
  /** 'transaction' or 'refund'; also used as associated data, as WeChat does. */
  originalType: string;
  plaintext: unknown;
  apiV3Key: Buffer;
  platformSerial: string;
  platformPrivateKey: KeyObject;
  id?: string;
  nowMs?: number;
}): SealedNotification {
  const nowMs = input.nowMs ?? Date.now();
  const id = input.id ?? randomUUID();
  const resource = encryptResource(JSON.stringify(input.plaintext), input.apiV3Key, {
    associatedData: input.originalType,
    originalType: input.originalType,
  });
  const body = JSON.stringify({
    id,
    create_time: formatRfc3339(new Date(nowMs)),
    resource_type: 'encrypt-resource',
    event_type: input.eventType,
    summary: input.summary,
    resource,
  });
  const headers = buildWechatpaySignatureHeaders({
    serial: input.platformSerial,
    privateKey: input.platformPrivateKey,
    body,
    timestamp: unixSeconds(nowMs),
  });
  return { id, body, headers: { ...headers, 'Content-Type': 'application/json' } };
}

