import pino, { type DestinationStream, type Logger } from 'pino';
import { type Config, secretsOf } from './config';

export type { Logger };

/**
 * One JSON logger for the process. Secrets are scrubbed twice: by path (auth
 * headers, api_key parameters) and by value (any configured secret string that
 * slips into a message, e.g. inside an upstream error's URL).
 *
 * Lines go to stdout asynchronously (pino's SonicBoom with sync: false): a
 * line is written as soon as the previous write is done, so under load many
 * lines share one write instead of one blocking write per request; what is
 * pending is written synchronously when the process exits.
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
          // Scrub the whole record by value: it catches secrets inside nested
          // error objects and URLs. A record is copied only when it holds a
          // secret or an error (which is flattened so its message is logged):
          // the per-operation info line is neither, and is passed on as it is.
          if (!args.some((arg) => needsScrubbing(arg, secrets))) {
            method.apply(this, args);
            return;
          }
          const scrubbed = args.map((arg) =>
            typeof arg === 'string' ? scrub(arg) : scrubValue(arg, scrub),
          ) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** True when scrubValue would change `value`: a secret in a string, or an error to flatten. */
function needsScrubbing(value: unknown, secrets: string[], depth = 0): boolean {
  if (depth > 6 || value === null || value === undefined) return false;
  if (typeof value === 'string') return secrets.some((secret) => value.includes(secret));
  if (value instanceof Error) return true;
  if (typeof value !== 'object') return false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (needsScrubbing(item, secrets, depth + 1)) return true;
  }
  return false;
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
