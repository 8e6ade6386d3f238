/**
 * Apollo Client 4 warns (cache data loss, missing fields) only in development
 * mode, which a bundler or this global turns on. Imported before
 * @apollo/client, so it is set when the client library loads.
 */
(globalThis as { __DEV__?: boolean }).__DEV__ = true;
