import { Writable } from 'node:stream';
import pino from 'pino';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A debug-level pino logger whose records a test reads back (level 40 = warn). */
export function capturingLogger(): { logger: pino.Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, callback) {
        records.push(JSON.parse(String(chunk)) as LogRecord);
        callback();
      },
    }),
  );
  return { logger, records };
}
