import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { EXPLORER_DEFAULT_QUERY } from '../graphql/engine/trusted-documents/title-page-query';
import { acceptsEncoding, preferredMediaType } from './accept';
import { HTML_PAGE_HEADERS } from './security';

/**
 * GraphiQL at GET /graphql for browsers, served entirely by Reelcheck: the
 * page, GraphiQL's UMD bundle and React come from node_modules through this
 * router, so exploring works on a machine with no internet (Apollo's landing
 * page loads from a CDN and Google Fonts).
 *
 * Why GraphiQL 4's UMD build with React 18's UMD files: about 1.5 MB of plain
 * files we can serve as they are (no bundler, no build step), with a headers
 * editor and docs explorer built in. GraphiQL 5 exists only as an ES module
 * build that needs bundling or an inlined 9 MB page; Altair is larger still.
 *
 * Nothing is read at start: the versions, the page and each asset are read on
 * their first request and kept from then on, so a server nobody explores
 * holds none of it in memory.
 */

/** Where each asset comes from: [package, path inside the package]. */
const ASSETS: Readonly<Record<string, readonly [string, string]>> = {
  'react.js': ['react', 'umd/react.production.min.js'],
  'react-dom.js': ['react-dom', 'umd/react-dom.production.min.js'],
  'graphiql.js': ['graphiql', 'graphiql.min.js'],
  'graphiql.css': ['graphiql', 'graphiql.min.css'],
};

/**
 * Runs in the page: mounts GraphiQL with a fetcher that POSTs JSON to the
 * endpoint (with whatever the headers editor holds). Served as a file, not
 * inline, so the page's CSP can forbid inline scripts.
 *
 * GraphiQL gets a storage that never keeps a header. Editors type
 * "Authorization: Bearer <ADMIN_TOKEN>" into the Headers pane, and GraphiQL
 * 4.1 writes the pane's text to localStorage in more places than
 * shouldPersistHeaders covers: every history entry ("graphiql:queries", and
 * "graphiql:favorites" when starred) is {query, variables, headers,
 * operationName}, saved whatever that setting says; each tab in
 * "graphiql:tabState" has its headers (blanked only while the setting is
 * off); and "graphiql:headers" holds the pane when it is on. So this storage
 * writes those keys with every "headers" field set to null, and never writes
 * "graphiql:headers": headers live only in the page's memory (a history entry
 * still restores its headers until the page reloads). At load it also
 * rewrites those keys once, so a token an earlier page saved is wiped.
 */
const EXPLORER_SCRIPT = `(function () {
  var config = JSON.parse(document.getElementById('explorer-config').textContent);
  var NAMESPACE = 'graphiql:';
  var WITH_HEADERS = ['graphiql:queries', 'graphiql:favorites', 'graphiql:tabState'];
  function withoutHeaders(key, value) {
    if (key === 'graphiql:headers') return null;
    if (WITH_HEADERS.indexOf(key) === -1) return value;
    try {
      return JSON.stringify(JSON.parse(value), function (name, field) {
        return name === 'headers' ? null : field;
      });
    } catch (error) {
      return null; // not JSON: keep nothing rather than text that may hold a header
    }
  }
  var storage = {
    getItem: function (key) { return localStorage.getItem(key); },
    setItem: function (key, value) {
      var kept = withoutHeaders(key, value);
      if (kept === null) localStorage.removeItem(key);
      else localStorage.setItem(key, kept);
    },
    removeItem: function (key) { localStorage.removeItem(key); },
    clear: function () {
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf(NAMESPACE) === 0) localStorage.removeItem(key);
      });
    },
    get length() {
      return Object.keys(localStorage).filter(function (key) {
        return key.indexOf(NAMESPACE) === 0;
      }).length;
    },
  };
  WITH_HEADERS.concat('graphiql:headers').forEach(function (key) {
    var value = localStorage.getItem(key);
    if (value !== null) storage.setItem(key, value);
  });
  function fetcher(params, options) {
    var headers = Object.assign(
      { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      options && options.headers,
    );
    return fetch(config.endpoint, { method: 'POST', headers: headers, body: JSON.stringify(params) })
      .then(function (response) { return response.json(); });
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.query,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false, // and hides GraphiQL's switch to turn it on
      storage: storage,
    }),
  );
})();
`;

/**
 * The script's file name carries a hash of its text: it is cached for good
 * like the other assets, so a changed script (this storage, say) must be a
 * new URL, or browsers would keep running the old one for a year.
 */
const EXPLORER_SCRIPT_FILE = `explorer-${createHash('sha256')
  .update(EXPLORER_SCRIPT)
  .digest('hex')
  .slice(0, 16)}.js`;

/**
 * Assets are served under a path that names the versions, so browsers may
 * cache them for good: a new GraphiQL or React version is a new URL.
 */
function assetPrefix(): string {
  const version = (pkg: string) =>
    (
      JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as {
        version: string;
      }
    ).version;
  return `/explorer/graphiql-${version('graphiql')}-react-${version('react')}`;
}

/** Allows exactly what the page uses: its own scripts and styles, fetches to itself, data: fonts. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // GraphiQL and CodeMirror set style attributes from script.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function page(prefix: string, endpoint: string): string {
  // JSON inside a non-executed script element: "<" is escaped so no text can close it.
  const config = JSON.stringify({ endpoint, query: EXPLORER_DEFAULT_QUERY }).replace(
    /</g,
    '\\u003c',
  );
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Reelcheck GraphQL explorer</title>
    <link rel="stylesheet" href="${prefix}/graphiql.css" />
    <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script type="application/json" id="explorer-config">${config}</script>
    <script src="${prefix}/react.js"></script>
    <script src="${prefix}/react-dom.js"></script>
    <script src="${prefix}/graphiql.js"></script>
    <script src="${prefix}/${EXPLORER_SCRIPT_FILE}"></script>
  </body>
</html>
`;
}

/** An asset as served: its type, and its bytes as they are and gzipped (what browsers accept). */
interface Asset {
  contentType: string;
  plain: Buffer;
  gzipped: Buffer;
}

const gzip = promisify(zlib.gzip);

/** Reads and compresses one asset (the explorer's script or a file of ASSETS), once. */
async function loadAsset(name: string): Promise<Asset> {
  const contentType = name.endsWith('.css')
    ? 'text/css; charset=utf-8'
    : 'text/javascript; charset=utf-8';
  let plain: Buffer;
  if (name === EXPLORER_SCRIPT_FILE) {
    plain = Buffer.from(EXPLORER_SCRIPT);
  } else {
    const [pkg, file] = ASSETS[name];
    plain = await fs.promises.readFile(
      path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file),
    );
  }
  return { contentType, plain, gzipped: await gzip(plain) };
}

/**
 * GraphiQL for browsers: the page at GET `endpoint` when the client prefers
 * HTML and asks no query (anything else is GraphQL's), and its assets under
 * /explorer/. src/http/routes.ts routes to it; the security headers are set.
 */
export class Explorer {
  private prefix: string | null = null;
  private html: string | null = null;
  private readonly assets = new Map<string, Promise<Asset>>();

  constructor(private readonly endpoint: string) {}

  /** Whether a GET that names no GraphQL request comes from a browser: it prefers HTML. */
  wantsPage(req: http.IncomingMessage): boolean {
    const offered = ['application/json', 'application/graphql-response+json', 'text/html'];
    return preferredMediaType(req.headers.accept, offered) === 'text/html';
  }

  /** The page, under its own Content-Security-Policy with helmet's headers for HTML. */
  servePage(res: http.ServerResponse): void {
    this.prefix ??= assetPrefix();
    this.html ??= page(this.prefix, this.endpoint);
    res.writeHead(200, {
      ...HTML_PAGE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(this.html),
      'cache-control': 'no-cache',
      'content-security-policy': PAGE_CSP,
    });
    res.end(this.html);
  }

  /**
   * An asset at `pathname` (under /explorer/), gzipped for clients that accept
   * it, cached by browsers for good; false when there is none (a 404).
   */
  async serveAsset(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
  ): Promise<boolean> {
    this.prefix ??= assetPrefix();
    if (!pathname.startsWith(`${this.prefix}/`)) return false;
    const name = pathname.slice(this.prefix.length + 1);
    // Only names that exist are looked up and kept: a scan of made-up names keeps nothing.
    if (!Object.hasOwn(ASSETS, name) && name !== EXPLORER_SCRIPT_FILE) return false;
    let loading = this.assets.get(name);
    if (!loading) {
      loading = loadAsset(name);
      this.assets.set(name, loading);
      // A failed read (a package gone from node_modules) is tried again by the next request.
      loading.catch(() => this.assets.delete(name));
    }
    const asset = await loading;
    const gzipped = acceptsEncoding(req.headers['accept-encoding'], 'gzip');
    const body = gzipped ? asset.gzipped : asset.plain;
    res.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': body.length,
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'Accept-Encoding',
      ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(body);
    return true;
  }
}
