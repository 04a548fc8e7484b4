// The repository's own docs against the code: the REST reference lists exactly the routes /openapi.json serves,
// with their roles, and every link in README.md and docs/ resolves to a file (and heading) inside the repository.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { call, startApiWithCleanup } from '../helpers/api';

const ROOT = path.resolve(__dirname, '..', '..');
const REST_DOC = 'docs/rest-api.md';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** README.md and every markdown file under docs/, as paths relative to the repository root. */
function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) return walk(rel);
      return entry.name.endsWith('.md') ? [rel] : [];
    });
  return ['README.md', ...walk('docs')];
}

const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

/** The text outside fenced code blocks, line by line (fenced lines become empty, so line numbers hold). */
function prose(markdown: string): string[] {
  let fence: string | null = null;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return '';
    }
    return fence === null ? line : '';
  });
}

/** Link targets outside code: inline links and images, reference definitions, HTML href/src. */
function links(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  prose(markdown).forEach((text, i) => {
    const outsideCode = text.replace(/`[^`]*`/g, '');
    for (const m of outsideCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ line: i + 1, target: m[1]! });
    }
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(outsideCode);
    if (definition) found.push({ line: i + 1, target: definition[1]! });
    for (const m of outsideCode.matchAll(/\b(?:href|src)="([^"]+)"/g)) found.push({ line: i + 1, target: m[1]! });
  });
  return found;
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens; repeats get -1, -2, … */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const base = heading
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      result.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) result.add(m[1]!);
  }
  return result;
}

/** True when git ignores the path (it would not be in a clone); false outside a git checkout. */
function gitIgnored(rel: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '-q', rel], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with one link of `from`, or null when it resolves inside the repository. */
function linkProblem(from: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    return /^(?:https?|mailto):/i.test(target) ? null : 'only http(s) and mailto links may leave the repository';
  }
  if (target.startsWith('/')) return 'an absolute path: link relative to the file';
  const [file = '', anchor] = target.split('#', 2);
  const resolved = file === '' ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), file));
  if (resolved === '..' || resolved.startsWith('../')) return `leaves the repository (${resolved})`;
  const absolute = path.join(ROOT, resolved);
  if (!fs.existsSync(absolute)) return `no such file: ${resolved}`;
  if (gitIgnored(resolved)) return `${resolved} is ignored by git, so a clone does not have it`;
  if (anchor && resolved.endsWith('.md') && !anchors(read(resolved)).has(decodeURIComponent(anchor))) {
    return `${resolved} has no heading or anchor '#${anchor}'`;
  }
  return null;
}

const TOP_FOLDERS = [
  'activities',
  'adapters',
  'api',
  'cli',
  'db',
  'deploy',
  'docs',
  'domain',
  'scripts',
  'test',
  'worker',
  'workflows',
];

/**
 * For a code span that names a path under one of the repository's top folders (`db/runs.ts`,
 * `test/unit/cli-*.test.ts`, `workflows/`): what is wrong with it, or null when something matches.
 */
function repoPathProblem(span: string): string | null {
  const top = span.split('/')[0]!;
  if (!TOP_FOLDERS.includes(top) || !span.includes('/') || !/^[\w./*-]+$/.test(span)) return null;
  const glob = span.replace(/\/$/, '');
  if (!glob.includes('*')) return fs.existsSync(path.join(ROOT, glob)) ? null : `\`${span}\` does not exist`;
  const dir = path.posix.dirname(glob);
  const pattern = new RegExp(`^${path.posix.basename(glob).replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
  const found =
    fs.existsSync(path.join(ROOT, dir)) && fs.readdirSync(path.join(ROOT, dir)).some((f) => pattern.test(f));
  return found ? null : `nothing matches \`${span}\``;
}

/** `METHOD /path` with `:param` written as `{param}` and any query string dropped. */
const routeKey = (method: string, routePath: string) =>
  `${method.toUpperCase()} ${routePath.split('?')[0]!.replace(/:(\w+)/g, '{$1}')}`;

/** The rows of the REST reference's route tables: `` | `METHOD /path` | role | … ``. */
function documentedRoutes(): Map<string, { role: string; line: number }> {
  const rows = new Map<string, { role: string; line: number }>();
  prose(read(REST_DOC)).forEach((line, i) => {
    const m = /^\|\s*`([A-Z]+) (\/[^`\s]*)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (!m) return;
    const key = routeKey(m[1]!, m[2]!);
    assert.ok(!rows.has(key), `${REST_DOC}:${i + 1}: ${key} is listed twice`);
    rows.set(key, { role: m[3]!.replace(/`/g, '').trim(), line: i + 1 });
  });
  return rows;
}

/** `METHOD /template` → role, as /openapi.json names them. */
const served = new Map<string, string>();

startApiWithCleanup({}, async (api) => {
  const res = await call(api.url, 'GET', '/openapi.json', { token: null });
  assert.equal(res.status, 200);
  for (const [routePath, item] of Object.entries(res.body.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (HTTP_METHODS.includes(method)) served.set(routeKey(method, routePath), String(op['x-fleetwave-role']));
    }
  }
});

describe('the REST reference in docs/rest-api.md', () => {
  test('when /openapi.json is compared with the route tables, then every served route is listed, and only those', () => {
    const listed = documentedRoutes();
    assert.ok(served.size > 0, '/openapi.json lists no route');
    const missing = [...served.keys()].filter((key) => !listed.has(key));
    const unknown = [...listed].filter(([key]) => !served.has(key)).map(([key, { line }]) => `${key} (line ${line})`);
    assert.deepEqual(missing, [], `served but not in ${REST_DOC}`);
    assert.deepEqual(unknown, [], `in ${REST_DOC} but not served`);
  });

  test('when a route is listed, then its role column is the role /openapi.json names for it', () => {
    const wrong = [...documentedRoutes()]
      .filter(([key, { role }]) => served.has(key) && served.get(key) !== role)
      .map(([key, { role, line }]) => `${key} (line ${line}): the doc says '${role}', the API '${served.get(key)}'`);
    assert.deepEqual(wrong, []);
  });

  test('when the text names a route as `METHOD /path`, then the API serves that route', () => {
    const unknown: string[] = [];
    prose(read(REST_DOC)).forEach((line, i) => {
      for (const m of line.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s]*)`/g)) {
        const key = routeKey(m[1]!, m[2]!);
        if (!served.has(key)) unknown.push(`${key} (line ${i + 1})`);
      }
    });
    assert.deepEqual(unknown, []);
  });
});

describe('links in README.md and docs/', () => {
  test('when a link is followed, then it resolves to a file (and heading) inside the repository', () => {
    const problems = markdownFiles().flatMap((file) =>
      links(read(file)).flatMap(({ line, target }) => {
        const problem = linkProblem(file, target);
        return problem ? [`${file}:${line}: ${target}: ${problem}`] : [];
      }),
    );
    assert.deepEqual(problems, []);
  });

  test('when the docs name a file or folder of the repository in code, then it exists', () => {
    const problems = markdownFiles().flatMap((file) =>
      prose(read(file)).flatMap((line, i) =>
        [...line.matchAll(/`([^`\s]+)`/g)].flatMap(([, span]) => {
          const problem = repoPathProblem(span!);
          return problem ? [`${file}:${i + 1}: ${problem}`] : [];
        }),
      ),
    );
    assert.deepEqual(problems, []);
  });

  test('when the checker reads a sample, then it finds broken and escaping links and GitHub anchors', () => {
    const sample = [
      '# Removing a patch: `deprecatePatch()`',
      '[ok](README.md) [up](../x.md) [far](../notes/x.md) [gone](docs/nope.md)',
      '`[not a link](nowhere.md)`',
      '```',
      '[in a fence](nowhere.md)',
      '```',
    ].join('\n');
    assert.deepEqual(
      links(sample).map((l) => l.target),
      ['README.md', '../x.md', '../notes/x.md', 'docs/nope.md'],
    );
    assert.ok(anchors(sample).has('removing-a-patch-deprecatepatch'));
    assert.equal(linkProblem('README.md', 'README.md'), null);
    assert.match(linkProblem('README.md', '../x.md') ?? '', /leaves the repository/);
    assert.match(linkProblem('docs/design.md', '../../notes/x.md') ?? '', /leaves the repository/);
    assert.match(linkProblem('README.md', 'docs/nope.md') ?? '', /no such file/);
    assert.match(linkProblem('README.md', 'README.md#no-such-heading') ?? '', /no heading/);
    assert.equal(repoPathProblem('test/unit/cli-*.test.ts'), null);
    assert.equal(repoPathProblem('workflows/'), null);
    assert.equal(repoPathProblem('npm run dev'), null);
    assert.match(repoPathProblem('domain/engine.ts') ?? '', /does not exist/);
    assert.match(repoPathProblem('db/migrations/*.yaml') ?? '', /nothing matches/);
  });
});
