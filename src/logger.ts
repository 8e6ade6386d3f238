import { types } from 'node:util';
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
 *
 * A failure logged at error level with its error (`err`) is written in full
 * the first time; its repeats are counted and written as one line per
 * interval (see RepeatedFailures): a full disk or a bug on a busy page is a
 * few lines a minute, not a stack per request.
 */
export function createLogger(
  config: Config,
  destination?: DestinationStream,
  repeats: RepeatOptions = {},
): Logger {
  const failures = new RepeatedFailures(repeats, (fields, msg) => logger.error(fields, msg));
  const logger: Logger = pino(
    {
      level: config.logLevel,
      // A failure that repeats is one full line, then one line per interval (RepeatedFailures).
      hooks: {
        logMethod(args, method, level) {
          if (level === ERROR_LEVEL && !failures.admit(args)) return;
          method.apply(this, args);
        },
      },
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
  return logger;
}

/**
 * Whether a value is an error, also one made in another realm: under Jest,
 * better-sqlite3's native addon keeps the SqliteError class of the first test
 * file that loaded it, whose instances are not `instanceof` a later file's
 * Error (nor native errors): anything with a string message and stack counts.
 */
function isError(value: unknown): value is Error {
  if (value instanceof Error || types.isNativeError(value)) return true;
  const candidate = value as { message?: unknown; stack?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.message === 'string' &&
    typeof candidate.stack === 'string'
  );
}

function errorFields(error: unknown): unknown {
  if (!isError(error)) return error;
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

/** pino's error level: where store failures and bugs are logged with their stacks. */
const ERROR_LEVEL = 50;
const DEFAULT_REPEAT_INTERVAL_MS = 60_000;
/** Kinds of failure counted at once; beyond, a new kind is logged in full, uncounted. */
const MAX_KINDS = 1000;

export interface RepeatOptions {
  /** How long repeats of a failure are counted before one line reports them (default 60 s). */
  intervalMs?: number;
  /** The clock intervals are measured by: tests pass one they control. */
  now?: () => number;
}

interface Kind {
  /** When its current interval began. */
  since: number;
  /** Repeats not logged since then. */
  repeats: number;
  msg: string;
  err: { type: string; message: string };
}

/**
 * Error lines that carry an error, grouped by kind: the message, the error's
 * name, code (SQLITE_FULL, a MongoDB code), its message with numbers left out,
 * and where it was thrown (the first frame of its stack). The first of a kind
 * is logged in full, with its stack and the request's bindings. Its repeats
 * within the interval are only counted; at the end of the interval one line
 * at the same level reports them:
 *
 *   {"level":50,"repeated":1161,"seconds":60,"err":{"type":"TypeError","message":"Cannot read ..."},
 *    "msg":"1161 more like this in the last 60s: unexpected error while resolving"}
 *
 * and the next interval counts again. An interval without repeats ends the
 * kind: when it comes back, it is news again, logged in full. The report is
 * written by a timer (unref'd, running only while kinds are counted), or by
 * the next repeat once the interval is over, whichever comes first.
 *
 * Lines without an error (TMDB's paused credentials, already once per pause;
 * the embedded store's own counts, src/store/sqlite/failure-log.ts) and other
 * levels are written as they are.
 */
class RepeatedFailures {
  private readonly kinds = new Map<string, Kind>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private reporting = false;

  constructor(
    options: RepeatOptions,
    /** Writes a report (at error level, through the hook: `reporting` lets it pass). */
    private readonly report: (fields: object, msg: string) => void,
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_REPEAT_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Whether to write this error line: the first of its kind, or one that is not a failure. */
  admit(args: unknown[]): boolean {
    if (this.reporting) return true;
    const failure = failureOf(args);
    if (!failure) return true;
    const key = kindOf(failure.msg, failure.err);
    const now = this.now();
    const known = this.kinds.get(key);
    if (known && now - known.since >= this.intervalMs) this.close(key, known, now);
    const kind = this.kinds.get(key);
    if (kind) {
      kind.repeats += 1;
      return false;
    }
    if (this.kinds.size >= MAX_KINDS) return true;
    this.kinds.set(key, {
      since: now,
      repeats: 0,
      msg: failure.msg,
      err: { type: failure.err.name, message: failure.err.message },
    });
    this.schedule();
    return true;
  }

  /** Reports the kinds whose interval is over; forgets those that did not repeat. */
  private tick(): void {
    this.timer = undefined;
    const now = this.now();
    for (const [key, kind] of this.kinds) {
      if (now - kind.since >= this.intervalMs) this.close(key, kind, now);
    }
    this.schedule();
  }

  private close(key: string, kind: Kind, now: number): void {
    if (kind.repeats === 0) {
      this.kinds.delete(key);
      return;
    }
    const seconds = Math.round((now - kind.since) / 1000);
    this.reporting = true;
    try {
      this.report(
        { repeated: kind.repeats, seconds, err: kind.err },
        `${kind.repeats} more like this in the last ${seconds}s: ${kind.msg}`,
      );
    } finally {
      this.reporting = false;
    }
    kind.since = now;
    kind.repeats = 0;
  }

  /** A timer for the first interval to end, while any kind is counted. */
  private schedule(): void {
    if (this.timer || this.kinds.size === 0) return;
    let due = Infinity;
    for (const kind of this.kinds.values()) due = Math.min(due, kind.since + this.intervalMs);
    this.timer = setTimeout(() => this.tick(), Math.max(10, due - this.now()));
    this.timer.unref();
  }
}

/** The message and error of an error line as pino takes it: (err), (err, msg) or ({ err }, msg). */
function failureOf(args: unknown[]): { msg: string; err: Error } | null {
  const [first, second] = args;
  const err = isError(first)
    ? first
    : first !== null && typeof first === 'object' && (first as { err?: unknown }).err
      ? (first as { err: unknown }).err
      : undefined;
  if (!isError(err)) return null;
  return { msg: typeof second === 'string' ? second : err.message, err };
}

function kindOf(msg: string, err: Error): string {
  const code = (err as { code?: unknown }).code;
  const frame = err.stack?.split('\n').find((line) => line.trimStart().startsWith('at ')) ?? '';
  return [msg, err.name, String(code ?? ''), err.message.replace(/\d+/g, '#'), frame.trim()]
    .join('\u0000')
    .slice(0, 2000);
}
