import pino, { type DestinationStream, type Logger } from 'pino';
import { type Config, secretsOf } from './config';

export type { Logger };

/**
 * One JSON logger for the process. Secrets are scrubbed twice: by path (auth
 * headers, api_key parameters) and by value, in every line as written (see
 * scrubbing below).
 *
 * Lines go to stdout asynchronously (pino's SonicBoom with sync: false): a
 * line is written as soon as the previous write is done, so under load many
 * lines share one write instead of one blocking write per request; what is
 * pending is written synchronously when the process exits.
 */
export function createLogger(config: Config, destination?: DestinationStream): Logger {
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
      // An error's name, message and stack; not its other properties (a client's
      // request and its headers hang off some).
      serializers: { err: errorFields },
    },
    scrubbing(destination ?? pino.destination({ dest: 1, sync: false }), secretsOf(config)),
  );
}

function errorFields(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return { type: error.name, message: error.message, stack: error.stack };
}

/**
 * The destination, with every configured secret replaced in each line pino
 * writes: messages, objects, errors at any depth, and the bindings of child
 * loggers, which pino serializes once when the child is made and no hook or
 * formatter sees again (a request id is a client's string, and could be the
 * token). In a JSON line a string is escaped, so the secret is matched in its
 * escaped form; matching the raw form could break the line's structure.
 */
function scrubbing(destination: DestinationStream, secrets: string[]): DestinationStream {
  if (secrets.length === 0) return destination;
  const escaped = [...new Set(secrets.map((secret) => JSON.stringify(secret).slice(1, -1)))];
  const scrub = (line: string) =>
    escaped.reduce((out, secret) => out.split(secret).join('[REDACTED]'), line);
  const flushable = destination as DestinationStream & { flush?: (cb?: () => void) => void };
  return {
    write: (line: string) => destination.write(scrub(line)),
    ...(typeof flushable.flush === 'function'
      ? { flush: (cb?: () => void) => flushable.flush!(cb) }
      : {}),
  };
}
