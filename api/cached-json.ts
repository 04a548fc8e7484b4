// JSON answers shared by many requests (a status served from memory under load): the object is serialized
// and tagged once, not per request. The ETag lets a poller that sends If-None-Match get 304 Not Modified.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Response } from 'express';

interface Serialized {
  body: string;
  /** The body as sent: encoded once, like the body itself. */
  bytes: Buffer;
  etag: string;
}

const serialized = new WeakMap<object, Serialized>();

/** The answer's JSON and ETag, computed once per answer object. */
export function serializeShared(value: object): Serialized {
  let entry = serialized.get(value);
  if (!entry) {
    const body = JSON.stringify(value);
    entry = { body, bytes: Buffer.from(body), etag: `W/"${createHash('sha1').update(body).digest('base64url')}"` };
    serialized.set(value, entry);
  }
  return entry;
}

/** res.json for an answer object that is shared and never mutated once sent. */
export function sendSharedJson(res: Response, value: object): void {
  const { bytes, etag } = serializeShared(value);
  res.setHeader('ETag', etag);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  // res.send answers 304 Not Modified itself when the request's If-None-Match matches this ETag.
  res.send(bytes);
}

// A no-cache request wants the answer itself, whatever it holds.
const NO_CACHE = /(?:^|,)\s*?no-cache\s*?(?:,|$)/;

/**
 * Whether a GET whose answer carries `etag` (and no Last-Modified) is answered 304 Not Modified, judged as
 * res.send judges it (Express's `fresh`): If-None-Match decides when sent (`*`, or one of its tags, weak
 * or not, names this one); an If-Modified-Since alone never matches an answer without a date.
 */
export function notModified(headers: IncomingHttpHeaders, etag: string): boolean {
  const noneMatch = headers['if-none-match'];
  if (!noneMatch && !headers['if-modified-since']) return false;
  const cacheControl = headers['cache-control'];
  if (cacheControl && NO_CACHE.test(cacheControl)) return false;
  if (!noneMatch) return false;
  if (noneMatch === '*') return true;
  return noneMatch.split(',').some((tag) => {
    const match = tag.replace(/^ +| +$/g, '');
    return match === etag || `W/${match}` === etag || match === `W/${etag}`;
  });
}
