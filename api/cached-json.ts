// JSON answers shared by many requests (a status served from memory under load): the object is serialized
// and tagged once, not per request. The ETag lets a poller that sends If-None-Match get 304 Not Modified.
import { createHash } from 'node:crypto';
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
