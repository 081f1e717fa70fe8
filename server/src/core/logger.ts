import pino from 'pino';
import type { Config } from './config';
import { serializeErrorSafely } from './log-redaction';

/**
 * Structured JSON logs. Secrets are redacted by path as a second line of defence: code never puts
 * tokens, session keys or payment secrets into log fields in the first place. Errors go through
 * {@link serializeErrorSafely}: a failing SQL statement is logged by its shape, never its values.
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV'>, base: Record<string, unknown> = {}, destination?: pino.DestinationStream) {
  const options: pino.LoggerOptions = {
    level: config.LOG_LEVEL ?? (config.NODE_ENV === 'test' ? 'silent' : 'info'),
    base: { pid: process.pid, ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeErrorSafely },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.sessionKey',
        '*.session_key',
        '*.password',
        '*.refreshToken',
        '*.accessToken',
        '*.apiV3Key',
        '*.privateKey',
      ],
      censor: '[redacted]',
    },
  };
  // Tests pass their own destination to read what was logged; processes log to stdout.
  return destination ? pino(options, destination) : pino(options);
}
export type Logger = pino.Logger;
