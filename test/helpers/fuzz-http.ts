// Raw HTTP for the API fuzz: requests sent exactly as generated (node:http), and what makes an answer
// wrong — a 5xx, a refusal outside the error shape, or internals (stack, file path, SQL) in it.
import assert from 'node:assert/strict';
import http from 'node:http';
import { INJECTIONS } from './arbitraries';

export interface Req {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body?: string;
}

export interface Res {
  status: number;
  text: string;
  json: any;
}

export const parseJson = (text: string | undefined): any => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** node:http, not fetch: the path reaches the server exactly as generated (fetch would normalise `..` and encode). */
export function sendRaw(port: number, req: Req): Promise<Res> {
  const headers = Object.fromEntries(
    Object.entries(req.headers).filter((e): e is [string, string] => e[1] !== undefined),
  );
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent: false, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, text, json: parseJson(text) });
        };
        // A status stream of a running operation never ends: its first event is the answer to judge.
        const stream = /^text\/event-stream/.test(String(res.headers['content-type']));
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          if (stream && /\ndata: .*\n\n/.test(Buffer.concat(chunks).toString('utf8'))) {
            done();
            r.destroy();
          }
        });
        res.on('end', done);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within 15 s to ${req.method} ${req.path.slice(0, 200)}`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

const cut = (s: string | undefined, n = 400) =>
  s === undefined ? '(none)' : s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s;

/** A request (and its answer) as a failure message shows it, long parts cut. */
export const show = (req: Req, res?: Res) =>
  `${req.method} ${cut(req.path, 300)}\n  headers: ${cut(JSON.stringify(req.headers), 300)}\n  body: ${cut(req.body)}` +
  (res ? `\n  → ${res.status} ${cut(res.text)}` : '');

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const STACK = /\bat [^\s()]+ \((?:\/|node:|file:)[^)]*:\d+:\d+\)|(?:\n|\\n)\s+at \S/;
const FILES = new RegExp(`${escapeRe(process.cwd())}|node_modules|file:///|\\.(?:ts|js):\\d+:\\d+`);
const SQL =
  /syntax error at or near|violates [a-z ]*constraint|relation "[^"]*"|column "[^"]*"|invalid input syntax|duplicate key value|invalid byte sequence|unsupported Unicode escape|stack depth limit|\bINSERT INTO\b|\bSELECT\b[^"]{0,200}\bFROM\b|\$\d+::/i;

/** What is wrong with an answer: a 5xx, a refusal outside the error shape, or internals in it. */
export function problems(req: Req, res: Res, allow?: (res: Res) => boolean): string[] {
  const out: string[] = [];
  if (res.status >= 500 && !allow?.(res)) out.push(`answered ${res.status}`);
  if (res.status < 400 || req.method === 'HEAD') return out;
  const err = res.json?.error;
  if (typeof err?.code !== 'string' || typeof err?.message !== 'string')
    out.push('the refusal is not { error: { code, message } }');
  // Echoes of the request (unknown keys, paths) are fine: strip the injection strings we sent before looking.
  const scrubbed = INJECTIONS.reduce(
    (t, s) => t.split(s).join('').split(JSON.stringify(s).slice(1, -1)).join(''),
    res.text,
  );
  if (STACK.test(scrubbed)) out.push('a stack trace leaks');
  if (FILES.test(scrubbed)) out.push('a file path leaks');
  if (SQL.test(scrubbed)) out.push('SQL text leaks');
  return out;
}

export const assertSane = (req: Req, res: Res, allow?: (res: Res) => boolean) =>
  assert.deepEqual(problems(req, res, allow), [], show(req, res));
