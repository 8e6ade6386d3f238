import type { Store } from './port';

/** Receives the duration of each store call, by method and outcome. */
export type StoreCallObserver = (method: string, outcome: 'ok' | 'error', seconds: number) => void;

/**
 * The store port with every asynchronous call timed, for any adapter: a
 * decorator rather than code in each adapter, so a new adapter is measured the
 * same way. Anything else (properties, synchronous methods) passes through as it is.
 */
export function observeStore(store: Store, observe: StoreCallObserver): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = String(property);
      return (...args: unknown[]) => {
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        const result: unknown = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (answer: unknown) => {
            observe(method, 'ok', seconds());
            return answer;
          },
          (error: unknown) => {
            observe(method, 'error', seconds());
            throw error;
          },
        );
      };
    },
  });
}
