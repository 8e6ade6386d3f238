import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import compression from 'compression';
import express from 'express';
import { EXPLORER_DEFAULT_QUERY } from '../graphql/title-page-query';
import { HTML_PAGE_HEADERS } from '../http/security';

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
 */

/** Where each asset comes from: [package, path inside the package]. */
const ASSETS = {
  'react.js': ['react', 'umd/react.production.min.js'],
  'react-dom.js': ['react-dom', 'umd/react-dom.production.min.js'],
  'graphiql.js': ['graphiql', 'graphiql.min.js'],
  'graphiql.css': ['graphiql', 'graphiql.min.css'],
} as const;

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

function assetFile(name: keyof typeof ASSETS): string {
  const [pkg, file] = ASSETS[name];
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
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

/** True for a browser navigating to the endpoint: it prefers HTML, and asks no query. */
function wantsExplorer(req: express.Request): boolean {
  if (req.query.query !== undefined) return false;
  return (
    req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) ===
    'text/html'
  );
}

/**
 * The explorer's routes: GET `endpoint` for browsers (anything else falls
 * through to the GraphQL handler) and the assets under /explorer/.
 */
export function explorerRouter(endpoint = '/graphql'): express.Router {
  const prefix = assetPrefix();
  const html = page(prefix, endpoint);
  const router = express.Router();
  // A plain middleware, not router.get: a route would make the router answer
  // CORS preflights (OPTIONS) for the endpoint itself instead of passing them on.
  router.use((req, res, next) => {
    if (req.method !== 'GET' || req.path !== endpoint || !wantsExplorer(req)) return next();
    res
      .status(200)
      .set({
        ...HTML_PAGE_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': PAGE_CSP,
      })
      .send(html);
  });

  const assets = express.Router();
  assets.use(compression({ threshold: 0 }));
  assets.get(`/${EXPLORER_SCRIPT_FILE}`, (_req, res) => {
    res.type('text/javascript').set('cache-control', 'public, max-age=31536000, immutable');
    res.send(EXPLORER_SCRIPT);
  });
  for (const name of Object.keys(ASSETS) as Array<keyof typeof ASSETS>) {
    const file = assetFile(name);
    assets.get(`/${name}`, (_req, res, next) => {
      res.sendFile(file, { maxAge: '365d', immutable: true }, (error) => error && next(error));
    });
  }
  router.use(prefix, assets);
  return router;
}
