import {
  API_KEY,
  TOKEN,
  capturingLogger,
  refusedBaseUrl,
  scoreRequest,
  settle,
  testConfig,
  useFakeTmdb,
} from './helpers';

/**
 * The credentials must not reach logs or error messages through any failure
 * path. Two loggers: the production one (createLogger, which also scrubs known
 * secrets) and one built from a config without the secrets, which scrubs
 * nothing, so only the TMDB code's own discipline keeps them out.
 */
describe('TMDB credentials stay secret', () => {
  const tmdb = useFakeTmdb();
  const { services } = tmdb;

  const credentials = {
    'Bearer token': { TMDB_API_TOKEN: TOKEN, TMDB_API_KEY: undefined },
    'api_key parameter': { TMDB_API_TOKEN: undefined, TMDB_API_KEY: API_KEY },
  };
  const loggers = {
    'createLogger with the secrets configured': (env: Record<string, string | undefined>) =>
      testConfig(env),
    'a logger that does not know the secrets': () => testConfig({}),
  };
  const cases = Object.entries(credentials).flatMap(([credential, env]) =>
    Object.entries(loggers).map(
      ([loggerName, loggerConfig]) => [credential, loggerName, env, loggerConfig] as const,
    ),
  );

  it('the unscrubbed logger would show a secret it is given (so the checks below can fail)', () => {
    const { logger, lines } = capturingLogger(loggers['a logger that does not know the secrets']());
    logger.info({ leaked: TOKEN }, 'oops');
    expect(lines.join('')).toContain(TOKEN);
  });

  it.each(cases)(
    '%s, %s: no failure mode puts it in a log line or an error',
    async (_credential, _logger, env, loggerConfig) => {
      const errors: unknown[] = [];
      const logs: string[] = [];
      const load = async (setup: ReturnType<typeof services.create>, id: number) => {
        const result = await settle(setup.scores.createLoader().load(scoreRequest('TV', id)));
        if (result.error) errors.push(result.error);
        await setup.scores.whenIdle();
      };

      const serviceEnv = { ...env, TMDB_TIMEOUT_MS: '200' };
      const throughFake = services.create({
        baseUrl: tmdb.fake.baseUrl,
        env: serviceEnv,
        loggerConfig: loggerConfig(serviceEnv),
        resilience: { breakerThreshold: 100 },
      });
      tmdb.fake.behave({ status: 500 }, { mediaType: 'TV', id: 1 });
      tmdb.fake.behave({ body: { vote_average: 'x' } }, { mediaType: 'TV', id: 4 });
      tmdb.fake.behave({ hang: true }, { mediaType: 'TV', id: 5 });
      tmdb.fake.behave({ status: 429, retryAfterSeconds: 1 }, { mediaType: 'TV', id: 3 });
      for (const id of [1, 2, 4, 5, 3, 6]) await load(throughFake, id); // 2: 404, 6: paused
      logs.push(...throughFake.logs);

      const refused = services.create({
        baseUrl: await refusedBaseUrl(),
        env: serviceEnv,
        loggerConfig: loggerConfig(serviceEnv),
        resilience: { maxRetries: 0, breakerThreshold: 3 },
      });
      for (const id of [7, 8, 9, 10]) await load(refused, id); // 3 refused, then the circuit is open
      logs.push(...refused.logs);

      // The failures really happened and were logged with their safe details...
      const text = logs.join('');
      expect(tmdb.fake.count()).toBeGreaterThanOrEqual(7);
      expect(text).toContain('"status":500');
      expect(text).toContain('"kind":"malformed"');
      expect(text).toContain('"kind":"timeout"');
      expect(text).toContain('429');
      expect(text.match(/"code":"ECONNREFUSED"[^\n]*TMDB score fetch failed/g)).toHaveLength(3);
      expect(text).toContain('TMDB circuit opened');
      expect(errors).toHaveLength(10);
      // ...and the credentials are nowhere.
      const errorText = errors
        .map((e) => `${(e as Error).message} ${JSON.stringify(e)} ${(e as Error).stack}`)
        .join('\n');
      for (const secret of [TOKEN, API_KEY]) {
        expect(text).not.toContain(secret);
        expect(errorText).not.toContain(secret);
      }
    },
  );
});
