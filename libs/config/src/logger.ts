import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/**
 * Paths that may carry credentials anywhere they are logged: request
 * headers, action and integration secrets, tokens. pino replaces them.
 */
export const REDACTED_PATHS = [
  'secret',
  'token',
  '*.secret',
  '*.token',
  '*.secrets',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'req.headers["x-gitlab-token"]',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  'headers["x-hub-signature-256"]',
  'headers["webhook-signature"]',
];

export function createLogger(service: string, level: LogLevel): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}

export type { Logger };
