import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { EXPLORER_DEFAULT_QUERY } from '../../src/explorer/default-query';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The explorer in a real browser (Debian's chromium driven by playwright-core),
 * with every request to a host other than the server refused: GraphiQL must
 * load, run its prefilled query and show the page offline.
 *
 * Without chromium the browser test is skipped with a reason, unless
 * REQUIRE_BROWSER=1 (CI sets it): then a missing browser fails the run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && process.env.REQUIRE_BROWSER === '1') {
  throw new Error(`REQUIRE_BROWSER=1 but no browser at ${CHROMIUM}: apt-get install -y chromium`);
}
if (!haveChromium) console.warn(`browser test skipped: no chromium at ${CHROMIUM}`);
const describeWithBrowser = haveChromium ? describe : describe.skip;

/** Flags that keep Chromium from phoning home (the machine's network is closed). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('explorer over HTTP', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(() => server.stop());

  it('answers a browser GET of /graphql with the GraphiQL page under a strict CSP', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('id="graphiql"');
    expect(html).not.toMatch(/https?:\/\//); // nothing from another host
  });

  it('serves every asset itself, compressed and cacheable', async () => {
    const html = await (
      await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } })
    ).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/explorer\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(5);
    for (const asset of assets) {
      const res = await fetch(`${server.url}${asset}`, {
        headers: { 'accept-encoding': 'gzip, br' },
      });
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect(res.headers.get('content-encoding')).toMatch(/gzip|br/);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
  });

  it('still answers GraphQL GETs and JSON clients at the same URL', async () => {
    const query = encodeURIComponent('{ title(slug: "the-glory") { name } }');
    const res = await fetch(`${server.url}/graphql?query=${query}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await res.json()).toEqual({ data: { title: { name: 'The Glory' } } });
  });
});

describe('EXPLORER=false', () => {
  it('serves no page: a browser GET gets the GraphQL endpoint, not HTML', async () => {
    const server = await startTestApp({ env: { EXPLORER: 'false' } });
    try {
      const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
      expect(res.status).toBe(406); // GraphQL answers JSON only: not acceptable to an HTML-only client
      const assets = await fetch(`${server.url}/explorer/anything.js`);
      expect(assets.status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});

describe('the prefilled query', () => {
  it("is the README's title page query, so the docs and the explorer agree", () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const query = EXPLORER_DEFAULT_QUERY.replace(/^#.*\n/gm, '');
    expect(readme).toContain('```graphql\n' + query + '```');
  });
});

describeWithBrowser('explorer in Chromium, offline', () => {
  let server: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('loads GraphiQL, runs the prefilled query and shows The Glory, asking no other host', async () => {
    const page = await browser.newPage();
    const origin = new URL(server.url).host;
    const foreign: string[] = [];
    const pageErrors: string[] = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.host === origin) return route.continue();
      foreign.push(url.href);
      return route.abort();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${server.url}/graphql`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
    // The editor holds the title page query, and a headers editor is there.
    expect(await page.locator('.graphiql-query-editor').innerText()).toContain(
      'title(slug: "the-glory")',
    );
    await expect(page.getByRole('button', { name: 'Headers' }).count()).resolves.toBe(1);

    await page.click('.graphiql-execute-button');
    await page
      .locator('.graphiql-response')
      .filter({ hasText: '"The Glory"' })
      .waitFor({ timeout: 20_000 });
    const response = await page.locator('.graphiql-response').innerText();
    expect(response).toContain('"tagline": "Let\'s wilt and die together."');
    expect(response).not.toContain('"errors"');
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: path.join(server.dataDir, 'explorer.png') });
  }, 60_000);
});
