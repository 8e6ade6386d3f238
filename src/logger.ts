import pino, { type DestinationStream, type Logger } from 'pino';
import { type Config, secretsOf } from './config';

export type { Logger };

/**
 * One JSON logger for the process. Secrets are scrubbed twice: by path (auth
 * headers, api_key parameters) and by value (any configured secret string that
 * slips into a message, e.g. inside an upstream error's URL).
 */
export function createLogger(config: Config, destination?: DestinationStream): Logger {
  const secrets = secretsOf(config);
  const scrub = (text: string) =>
    secrets.reduce((out, secret) => out.split(secret).join('[REDACTED]'), text);
  return pino(
    {
      level: config.logLevel,
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          'headers.Authorization',
          'config.headers.Authorization',
          'params.api_key',
        ],
        censor: '[REDACTED]',
      },
      hooks: {
        logMethod(args, method) {
          // Scrub the whole record by value: cheap at our log volume, and it
          // catches secrets inside nested error objects and URLs.
          const scrubbed = args.map((arg) =>
            typeof arg === 'string' ? scrub(arg) : scrubValue(arg, scrub),
          ) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    destination,
  );
}

function scrubValue(value: unknown, scrub: (s: string) => string, depth = 0): unknown {
  if (depth > 6 || value === null || value === undefined) return value;
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) {
    return {
      type: value.name,
      message: scrub(value.message),
      stack: value.stack && scrub(value.stack),
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = scrubValue(v, scrub, depth + 1);
    }
    return out;
  }
  return value;
}
