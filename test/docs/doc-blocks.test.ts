import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import { buildServer, exited, ROOT } from '../helpers/server-process';
import { tempDir } from '../helpers/temp-dirs';

/**
 * Every ```sh / ```bash / ```shell and ```graphql block of README.md and
 * docs/*.md, run as written, so the docs cannot drift from what the code
 * does. GraphQL blocks go over HTTP to a server this file starts on port 4000
 * (the port the docs name; no other test file uses it); shell blocks run in
 * bash, in a temp directory standing for the project root, with DATA_DIR
 * there. A block that cannot run here (it needs MongoDB, a TMDB token, or
 * `npm install`) is marked right before its fence, visibly:
 *
 *   <!-- doc-test: skip — the reason -->
 *
 * Other markers: `server stopped` (a shell block that needs DATA_DIR free, or
 * starts the server itself: it runs after the shared server is stopped),
 * `editor` (a GraphQL block sent with the editor token), `errors CODE, ...`
 * (the errors the doc says the block gives).
 */

const PORT = 4000;
const BASE = `http://127.0.0.1:${PORT}`;
const DOC_FILES = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell']);
const MARKER = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/;
/** A placeholder such as `<v4 read access token>`: a block with one must be marked skip. */
const PLACEHOLDER = /<[A-Za-z][^<>\n]*>/;

/** One runnable block of the docs, with the markers written right before it. */
interface DocBlock {
  file: string;
  line: number;
  language: 'shell' | 'graphql';
  text: string;
  skipReason?: string;
  serverStopped: boolean;
  editor: boolean;
  expectedErrors: string[];
  /** Markers this test does not understand, or a skip without a reason. */
  problems: string[];
}

/** The shell and GraphQL blocks of one Markdown file, fences possibly indented (inside lists). */
function readBlocks(file: string): DocBlock[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, language] = open;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    const text = lines
      .slice(i + 1, end)
      .map((line) => line.slice(indent.length))
      .join('\n');
    const kind = SHELL_LANGUAGES.has(language)
      ? 'shell'
      : language === 'graphql'
        ? 'graphql'
        : undefined;
    if (kind) blocks.push(describeBlock(file, i + 1, kind, text, markersBefore(lines, i)));
    i = end;
  }
  return blocks;
}

/** The doc-test markers on the lines right before line `at` (blank lines between are allowed). */
function markersBefore(lines: string[], at: number): string[] {
  const markers: string[] = [];
  for (let i = at - 1; i >= 0; i--) {
    if (lines[i].trim() === '') continue;
    const marker = MARKER.exec(lines[i]);
    if (!marker) break;
    markers.unshift(marker[1]);
  }
  return markers;
}

function describeBlock(
  file: string,
  line: number,
  language: DocBlock['language'],
  text: string,
  markers: string[],
): DocBlock {
  const block: DocBlock = {
    file,
    line,
    language,
    text,
    serverStopped: false,
    editor: false,
    expectedErrors: [],
    problems: [],
  };
  for (const marker of markers) {
    const skip = /^skip\b\s*[—:-]?\s*(.*)$/.exec(marker);
    const errors = /^errors\s+(.+)$/.exec(marker);
    if (skip) {
      if (skip[1]) block.skipReason = skip[1];
      else block.problems.push('a skip marker must give its reason');
    } else if (marker === 'server stopped' && language === 'shell') block.serverStopped = true;
    else if (marker === 'editor' && language === 'graphql') block.editor = true;
    else if (errors) block.expectedErrors = errors[1].split(/[\s,]+/).filter(Boolean);
    else block.problems.push(`unknown doc-test marker "${marker}"`);
  }
  // Comments may name placeholders (`# writes backups/reelcheck-<stamp>.sqlite`); commands may not.
  const commands = text.replace(/(^|\s)#.*$/gm, '');
  const placeholder = language === 'shell' ? PLACEHOLDER.exec(commands) : null;
  if (!block.skipReason && placeholder) {
    block.problems.push(
      `it has a placeholder (${placeholder[0]}): mark it <!-- doc-test: skip — reason -->`,
    );
  }
  return block;
}

const blocks = DOC_FILES.flatMap(readBlocks);
const where = (block: DocBlock) => `${block.file}:${block.line}`;
const runnable = blocks.filter((block) => !block.skipReason && block.problems.length === 0);

/**
 * `npm` as the blocks use it, for the project built once by this test:
 * `npm start` and `npm run [--silent] NAME [-- args]` run the script's
 * `[exec] node dist/...` command in the current directory, with npm's banner on
 * stdout unless --silent (so a block that redirects a non-silent run's output
 * into a file gets the banner in it, as with the real npm). Anything else
 * (install, test) is refused: such a block must be marked skip.
 */
function writeNpmShim(binDir: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const scripts: Record<string, string> = pkg.scripts;
  const banner = (name: string, command: string) =>
    `printf '\\n> %s\\n> %s\\n\\n' ${shellQuote(`${pkg.name}@${pkg.version} ${name}`)} ${shellQuote(command)}`;
  const branches = Object.entries(scripts).flatMap(([name, command]) => {
    const run = /^(npm run build && )?(?:exec )?node (dist\/\S+)$/.exec(command);
    if (!run) return [];
    // In npm's order: a pre-script (which builds) first; a script that builds prints its own first.
    const banners =
      name === 'start' && scripts.prestart
        ? [
            banner('prestart', scripts.prestart),
            banner('build', scripts.build),
            banner(name, command),
          ]
        : run[1]
          ? [banner(name, command), banner('build', scripts.build)]
          : [banner(name, command)];
    return [
      `  ${shellQuote(name)})`,
      `    if [ "$silent" = 0 ]; then ${banners.join('; ')}; fi`,
      `    exec node ${shellQuote(path.join(ROOT, run[2]))} "\${rest[@]}" ;;`,
    ];
  });
  const shim = [
    '#!/usr/bin/env bash',
    'silent=0; words=(); rest=(); after=0',
    'for arg in "$@"; do',
    '  if [ "$after" = 1 ]; then rest+=("$arg")',
    '  elif [ "$arg" = -- ]; then after=1',
    '  elif [ "$arg" = --silent ] || [ "$arg" = -s ]; then silent=1',
    '  else words+=("$arg"); fi',
    'done',
    'case "${words[0]}" in',
    '  start) name=start ;;',
    '  run|run-script) name="${words[1]}"; rest=("${words[@]:2}" "${rest[@]}") ;;',
    '  *) echo "npm ${words[*]}: not run by the doc test (mark the block skip)" >&2; exit 2 ;;',
    'esac',
    'case "$name" in',
    ...branches,
    '  *) echo "npm run $name: no such script in package.json" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(binDir, 'npm'), shim, { mode: 0o755 });
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Resolves once nothing answers on `port`: two servers on 4000 would make every result a lie. */
async function assertPortFree(port: number): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
  if (inUse)
    throw new Error(`port ${port} is in use: the doc test serves the docs' localhost:${port}`);
}

/** Polls /readyz until 200 (the seeded store answers), or fails with what the server said. */
async function waitUntilReady(child: ChildProcess, withinMs: number): Promise<void> {
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the server exited with ${child.exitCode}: ${stderr.slice(-2000)}`);
    }
    try {
      if ((await fetch(`${BASE}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not become ready within ${withinMs} ms: ${stderr.slice(-2000)}`);
}

/** Sends every operation of a GraphQL block (by name when it has several); returns what went wrong. */
async function runGraphqlBlock(block: DocBlock, adminToken: string): Promise<string[]> {
  const operations = parse(block.text).definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION ? [definition.name?.value] : [],
  );
  const failures: string[] = [];
  for (const operationName of operations) {
    const response = await fetch(`${BASE}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(block.editor ? { authorization: `Bearer ${adminToken}` } : {}),
      },
      body: JSON.stringify({ query: block.text, operationName }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    const codes = (body.errors ?? []).map((error) => error.extensions?.code ?? '(no code)');
    if (JSON.stringify(codes.sort()) !== JSON.stringify([...block.expectedErrors].sort())) {
      failures.push(
        `${operationName ?? 'the operation'}: HTTP ${response.status}, ${JSON.stringify(body).slice(0, 600)}`,
      );
    }
  }
  return failures;
}

/** The outcome of a shell block: its exit code and output. */
interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a shell block in bash (-e, pipefail) in its own process group, then
 * stops whatever it left running (a server it started with `npm start &`)
 * and waits until that group is gone.
 */
async function runShellBlock(
  block: DocBlock,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<ShellRun> {
  const child = spawn('bash', ['-eo', 'pipefail', '-c', block.text], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 45_000);
  const code = await finished;
  clearTimeout(timer);
  await stopGroup(child.pid!);
  return { code, stdout, stderr };
}

function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // the group is gone
  }
}

/** SIGTERM to the group, as a process manager does; SIGKILL if it is still there after 15 s. */
async function stopGroup(pid: number): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + 15_000;
  while (signalGroup(pid, 0)) {
    if (Date.now() > deadline) signalGroup(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function shellFailure(block: DocBlock, run: ShellRun): string | undefined {
  const errors = /"errors"\s*:\s*\[/.test(run.stdout);
  const expected = block.expectedErrors.every((code) => run.stdout.includes(code));
  if (run.code === 0 && (block.expectedErrors.length ? errors && expected : !errors)) return;
  return [
    `${where(block)} exited ${run.code}${errors ? ' with GraphQL errors' : ''}`,
    `--- block\n${block.text}`,
    `--- stdout (end)\n${run.stdout.slice(-1500)}`,
    `--- stderr (end)\n${run.stderr.slice(-1500)}`,
  ].join('\n');
}

describe('doc blocks', () => {
  it('are found in README.md and docs/, each marker understood and each skip explained', () => {
    expect(blocks.filter((block) => block.language === 'graphql').length).toBeGreaterThan(0);
    expect(blocks.filter((block) => block.language === 'shell').length).toBeGreaterThan(0);
    const problems = blocks.flatMap((block) => block.problems.map((p) => `${where(block)}: ${p}`));
    expect(problems).toEqual([]);
  });

  // Listed on purpose: every block that is not run, with the doc's reason.
  for (const block of blocks.filter((b) => b.skipReason)) {
    it.skip(`${where(block)} (${block.language}) is skipped: ${block.skipReason}`, () => {});
  }
});

describe('doc blocks, with the seeded server on port 4000', () => {
  const adminToken = randomBytes(32).toString('hex');
  let project: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    buildServer();
    await assertPortFree(PORT);
    project = tempDir('reelcheck-docs-');
    fs.mkdirSync(path.join(project, 'bin'));
    writeNpmShim(path.join(project, 'bin'));
    env = {
      PATH: `${path.join(project, 'bin')}:${process.env.PATH}`,
      HOME: project,
      DATA_DIR: path.join(project, 'data'),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    server = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
      cwd: project,
      env: { ...env, PORT: String(PORT), ADMIN_TOKEN: adminToken },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitUntilReady(server, 60_000);
  }, 240_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await exited(server);
    }
  });

  for (const block of runnable.filter((b) => !b.serverStopped)) {
    it(`${where(block)} (${block.language}) runs as written`, async () => {
      if (block.language === 'graphql') {
        expect(await runGraphqlBlock(block, adminToken)).toEqual([]);
      } else {
        const failure = shellFailure(block, await runShellBlock(block, project, env));
        expect(failure).toBeUndefined();
      }
    }, 60_000);
  }

  describe('and then stopped (blocks that need DATA_DIR free or start the server)', () => {
    beforeAll(async () => {
      if (server && server.exitCode === null) {
        server.kill('SIGTERM');
        await exited(server);
      }
    }, 30_000);

    for (const block of runnable.filter((b) => b.serverStopped)) {
      it(`${where(block)} (shell) runs as written`, async () => {
        const failure = shellFailure(block, await runShellBlock(block, project, env));
        expect(failure).toBeUndefined();
      }, 60_000);
    }
  });
});
