import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { EXPLORER_DEFAULT_QUERY } from '../../src/graphql/engine/trusted-documents/title-page-query';
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
  afterAll(() => server?.stop());

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

describe('the explorer at rest', () => {
  it('reads no asset at start, and each asset once, on its first request', async () => {
    const readFile = jest.spyOn(fs.promises, 'readFile');
    const assetReads = () =>
      readFile.mock.calls.filter(([file]) =>
        /node_modules\/(graphiql|react|react-dom)\//.test(String(file)),
      ).length;
    const server = await startTestApp();
    try {
      expect(assetReads()).toBe(0);
      const html = await (
        await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } })
      ).text();
      const react = html.match(/src="(\/explorer\/[^"]+\/react\.js)"/)![1];
      expect(assetReads()).toBe(0);
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${server.url}${react}`);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('React');
      }
      expect(assetReads()).toBe(1);
    } finally {
      readFile.mockRestore();
      await server.stop();
    }
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

/** An editor's token (32+ characters), random so no other text in storage can match it by chance. */
const ADMIN_TOKEN = `explorer-editor-${randomBytes(16).toString('hex')}`;

/** Refuses every request to a host other than the server's, recording what was asked. */
async function offline(context: BrowserContext, serverUrl: string): Promise<string[]> {
  const origin = new URL(serverUrl).host;
  const foreign: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === origin) return route.continue();
    foreign.push(url.href);
    return route.abort();
  });
  return foreign;
}

/** The text of one of GraphiQL's CodeMirror editors (`selector` is an element inside it). */
function editorText(page: Page, selector: string): Promise<string> {
  return page
    .locator(`${selector} .CodeMirror`)
    .evaluate((element) =>
      (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue(),
    );
}

/**
 * Replaces the active tab's operation, as pasting it in would, and waits
 * until GraphiQL has taken it in: it does so 100 ms after an edit (one
 * handler saves the text as "graphiql:query", reads the operation's name and
 * updates the tab), and a run before that would go out, and into the
 * history, as the previous operation.
 */
async function setQuery(page: Page, query: string): Promise<void> {
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(query);
  await expect(editorText(page, '.graphiql-query-editor')).resolves.toBe(query);
  await page.waitForFunction(
    (text) =>
      (globalThis as unknown as PageGlobals).localStorage.getItem('graphiql:query') === text,
    query,
  );
}

/** Runs the active tab's operation and waits for a response containing `expected`. */
async function run(page: Page, expected: string): Promise<string> {
  await page.click('.graphiql-execute-button');
  const response = page.locator('.graphiql-response').filter({ hasText: expected });
  await response.waitFor({ timeout: 20_000 });
  return response.innerText();
}

/** The page's localStorage, for code passed to page.evaluate (the project's types have no DOM). */
type PageGlobals = {
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
};

/**
 * Run in the page (plain JS: the project's types have no DOM): everything
 * the origin keeps in the browser but cookies. localStorage, sessionStorage,
 * every IndexedDB database (every key and record of every object store) and
 * Cache Storage (URLs, headers and bodies).
 */
const DUMP_STORAGE = `(async () => {
  const entries = (storage) =>
    Object.fromEntries(Object.keys(storage).map((key) => [key, storage.getItem(key)]));
  const done = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const indexedDb = {};
  for (const { name } of await indexedDB.databases()) {
    const db = await done(indexedDB.open(name));
    indexedDb[name] = {};
    for (const store of Array.from(db.objectStoreNames)) {
      const records = db.transaction(store, 'readonly').objectStore(store);
      indexedDb[name][store] = { keys: await done(records.getAllKeys()), values: await done(records.getAll()) };
    }
    db.close();
  }
  const cacheStorage = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    cacheStorage[name] = [];
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      cacheStorage[name].push({
        url: request.url,
        requestHeaders: Array.from(request.headers.entries()),
        responseHeaders: response ? Array.from(response.headers.entries()) : null,
        body: response ? await response.text() : null,
      });
    }
  }
  return {
    localStorage: entries(localStorage),
    sessionStorage: entries(sessionStorage),
    indexedDb,
    cacheStorage,
    documentCookie: document.cookie,
  };
})()`;

/** What the origin keeps in the browser: DUMP_STORAGE's kinds, and the context's cookies. */
async function dumpStorage(page: Page, context: BrowserContext) {
  const inPage = (await page.evaluate(DUMP_STORAGE)) as {
    localStorage: Record<string, string>;
    sessionStorage: Record<string, string>;
    indexedDb: Record<string, unknown>;
    cacheStorage: Record<string, unknown[]>;
    documentCookie: string;
  };
  return { ...inPage, cookies: await context.cookies() };
}

describeWithBrowser('explorer in Chromium, offline', () => {
  let server: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestApp({ env: { ADMIN_TOKEN } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
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
  });

  // GraphiQL's history keeps {query, variables, headers, operationName} per
  // run, and its tab state keeps each tab's headers: an editor's token typed
  // into the Headers pane must end up in neither (nor anywhere else the origin
  // can store), or anyone with the browser profile has it.
  it("keeps an editor's Authorization header out of every kind of browser storage", async () => {
    const context = await browser.newContext();
    const foreign = await offline(context, server.url);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      const before = (await (
        await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ title(slug: "the-glory") { id revision } }' }),
        })
      ).json()) as { data: { title: { id: string; revision: number } } };
      const { id, revision } = before.data.title;

      await page.goto(`${server.url}/graphql`);
      await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
      // The header, typed into the Headers pane key by key.
      await page.getByRole('button', { name: 'Headers' }).click();
      const headersPane = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
      await page.locator(`${headersPane} .CodeMirror`).click();
      await page.keyboard.type(`{"Authorization": "Bearer ${ADMIN_TOKEN}"}`);
      await expect(editorText(page, headersPane)).resolves.toBe(
        `{"Authorization": "Bearer ${ADMIN_TOKEN}"}`,
      );

      // Several runs (the leak was reported as intermittent), each a new history entry.
      const runs = 3;
      for (let i = 0; i < runs; i++) {
        const tagline = `Explorer edit ${i + 1}`;
        await setQuery(
          page,
          `mutation SetTagline {\n  updateTitle(id: "${id}", expectedRevision: ${revision + i}, input: {tagline: "${tagline}"}) {\n    tagline\n    revision\n  }\n}\n`,
        );
        const response = await run(page, tagline);
        expect(response).toContain(`"revision": ${revision + i + 1}`);
        expect(response).not.toContain('"errors"');
        if (i === 0) {
          await page.screenshot({ path: path.join(server.dataDir, 'explorer-mutation.png') });
        }
      }

      // A second operation in a new tab reads the change back, then the first tab again.
      await page.click('.graphiql-tab-add');
      await setQuery(
        page,
        'query ReadTagline {\n  title(slug: "the-glory") {\n    tagline\n    revision\n  }\n}\n',
      );
      const readBack = await run(page, `Explorer edit ${runs}`);
      expect(readBack).toContain(`"revision": ${revision + runs}`);
      await page.locator('.graphiql-tab-button').first().click();
      await expect(editorText(page, '.graphiql-query-editor')).resolves.toContain('SetTagline');
      // Tab state is written 500 ms after a change: wait it out, then reload.
      await page.waitForTimeout(1_000);
      await page.reload();
      await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
      await page.waitForTimeout(1_000);

      const dump = await dumpStorage(page, context);
      const stored = JSON.stringify(dump);
      // Not vacuous: the history and the tabs were written, with the operations run.
      const history = JSON.parse(dump.localStorage['graphiql:queries'] ?? '{}') as {
        queries?: Array<{ query: string }>;
      };
      expect(history.queries?.map((item) => item.query.split('\n')[0])).toEqual(
        expect.arrayContaining(['mutation SetTagline {', 'query ReadTagline {']),
      );
      expect(history.queries?.filter((item) => item.query.includes('SetTagline'))).toHaveLength(
        runs,
      );
      expect(dump.localStorage['graphiql:tabState']).toContain('SetTagline');
      // The token is nowhere, whole or in part.
      expect(stored).not.toContain(ADMIN_TOKEN);
      expect(stored).not.toContain(ADMIN_TOKEN.slice(-16));
      expect(stored).not.toMatch(/Bearer/i);
      expect(foreign).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('wipes headers an earlier explorer saved, keeping the history itself', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      // Seeded from another page of the origin, so no GraphiQL is there to write over it.
      await page.goto(`${server.url}/explorer/none`);
      const headers = JSON.stringify({ Authorization: `Bearer ${ADMIN_TOKEN}` });
      // What GraphiQL wrote before the explorer gave it a storage of its own.
      await page.evaluate((headers) => {
        const { localStorage } = globalThis as unknown as PageGlobals;
        const query = 'query Old {\n  ratingScale {\n    score\n  }\n}\n';
        const tab = { id: 'old', title: 'Old', query, variables: null, headers };
        localStorage.setItem(
          'graphiql:queries',
          JSON.stringify({ queries: [{ query, headers, operationName: 'Old' }] }),
        );
        localStorage.setItem(
          'graphiql:tabState',
          JSON.stringify({
            activeTabIndex: 0,
            tabs: [{ ...tab, operationName: 'Old', response: null }],
          }),
        );
        localStorage.setItem('graphiql:headers', headers);
      }, headers);
      expect(JSON.stringify(await dumpStorage(page, context))).toContain(ADMIN_TOKEN);

      await page.goto(`${server.url}/graphql`);
      await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
      const dump = await dumpStorage(page, context);
      expect(JSON.stringify(dump)).not.toContain(ADMIN_TOKEN);
      expect(dump.localStorage['graphiql:headers']).toBeUndefined();
      expect(JSON.parse(dump.localStorage['graphiql:queries']!)).toEqual({
        queries: [expect.objectContaining({ operationName: 'Old', headers: null })],
      });
      expect(JSON.parse(dump.localStorage['graphiql:tabState']!)).toMatchObject({
        tabs: expect.arrayContaining([expect.objectContaining({ title: 'Old', headers: null })]),
      });
    } finally {
      await context.close();
    }
  });
});
