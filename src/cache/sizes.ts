/**
 * What a cache entry takes in memory, in bytes: the one place each cache's
 * entry size is computed (its LRU's sizeCalculation), so that
 * RESPONSE_CACHE_MAX_MB and RECORD_CACHE_MAX_MB bound the process's memory
 * rather than a fraction of it.
 *
 * The constants are measured, not guessed (Node 20, x64): a process run with
 * --expose-gc filled a ResponseCache or RecordCache with entries shaped as
 * the server keeps them (fresh strings for keys, header values and tags, as
 * parsed from requests; bodies from Buffer.from(string); records parsed from
 * JSON, with Dates), and took its growth in RSS after full garbage
 * collections between 50,000 and 150,000 entries, divided by 100,000. RSS
 * was about 1.2 times V8's heap growth (page and hash table slack). The
 * counts below are at or above what was measured for every shape tried, and
 * test/unit/response-cache.test.ts and test/unit/record-cache.test.ts pin
 * them. scripts/bench/cache-memory.ts measures the caps on the server.
 */

/**
 * A string's characters: V8 keeps a string whose characters all fit in one
 * byte (Latin-1) at one byte each, any other at two.
 */
export function stringBytes(text: string): number {
  return TWO_BYTE.test(text) ? 2 * text.length : text.length;
}
const TWO_BYTE = /[\u0100-\uffff]/;

/**
 * A string of its own beyond its characters: V8's header and alignment, and
 * the array slot pointing to it. Measured: a ~10-character header string took
 * 32 bytes, a ~12-character tag 39; counted as 32 plus its characters.
 */
export const STRING_BYTES = 32;

/**
 * A kept response beyond its strings and its body's bytes: the entry object,
 * its header and tag arrays, the body's Buffer (on V8's heap up to 64 bytes,
 * else an ArrayBuffer and a malloc'd backing store), the key's concatenation
 * nodes, the operation's name, and lru-cache's bookkeeping (a Map entry and
 * five arrays indexed by entry). Measured: 2,611 bytes of RSS per entry for a
 * kept `{"data":{"title":null}}` (24-byte body, 22 header strings, a
 * 125-character key, one tag), of which 1,284 are its strings and body as
 * counted here, leaving 1,327; a 70-byte body (off V8's heap) added 230
 * bytes for its 46 more. Counted as 1,500.
 */
export const RESPONSE_ENTRY_BYTES = 1500;

/** A kept response: its key, body, headers and tags, and what holds them. */
export function responseEntryBytes(
  key: string,
  entry: { body: Buffer; headers: readonly string[]; tags: readonly string[] },
): number {
  let bytes = RESPONSE_ENTRY_BYTES + stringBytes(key) + entry.body.length;
  for (const part of entry.headers) bytes += STRING_BYTES + stringBytes(part);
  for (const tag of entry.tags) bytes += STRING_BYTES + stringBytes(tag);
  return bytes;
}

/**
 * A kept record's objects, strings, numbers and Dates take up to about 1.7
 * times its JSON's length, plus some 400 bytes per entry (the entry object,
 * its key and tags, lru-cache's bookkeeping). Measured, as RSS per entry
 * against key + JSON length: an aggregate 589 against 118, a bench title 847
 * against 340, a title with every field set 1,483 against 794, five
 * recommendations 1,291 against 609, six facts 3,163 against 1,651; and, as
 * V8 heap per entry, the seed catalog's records read from the embedded store:
 * titles 927 against 431, facts 3,858 against 2,334, recommendations 708
 * against 219, aggregates 529 against 111. Counted as 400 + 2 x (key +
 * JSON), which also covers text in other scripts than Latin (two bytes a
 * character in memory, one in JSON.stringify's length).
 */
export const RECORD_ENTRY_BYTES = 400;
export const RECORD_JSON_FACTOR = 2;

/** A kept record (a title, an aggregate, a title's facts or recommendations) under its key. */
export function recordEntryBytes(key: string, record: unknown): number {
  return (
    RECORD_ENTRY_BYTES + RECORD_JSON_FACTOR * (stringBytes(key) + JSON.stringify(record).length)
  );
}
