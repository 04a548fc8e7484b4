// The opaque `cursor` of paged lists (clusters, runs, events): the last id of a page, refused when we did not make it.
import { ValidationFailed } from '../../domain/errors';

const invalidCursor = () =>
  new ValidationFailed('the cursor is not valid', [{ path: 'cursor', message: 'use nextCursor from a previous page' }]);

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // Every cursor we hand out encodes a printable id; anything else was not made by us.
  if (!/^[\x21-\x7e]{1,200}$/.test(id) || encodeCursor(id) !== cursor) throw invalidCursor();
  return id;
}

/** The cursor of a list paged by a numeric id (audit events). */
export function decodeNumericCursor(cursor: string): number {
  const id = Number(decodeCursor(cursor));
  if (!Number.isSafeInteger(id)) throw invalidCursor();
  return id;
}
