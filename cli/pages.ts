// The `--all` loop of every list command: read a page, then follow the API's next cursor until there is none.

export interface Page<T> {
  items: T[];
  /** The cursor (or page token) of the next page; null on the last one. */
  next: string | null;
}

/**
 * Reads the page at `from` (undefined: the first) and, when `all` is set, every page after it.
 * The answer's `next` is the cursor after the last page read, so a caller without `all` can name it.
 */
export async function readPages<T>(
  read: (cursor: string | undefined) => Promise<Page<T>>,
  opts: { from?: string; all?: boolean },
): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = opts.from;
  let next: string | null;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    next = page.next;
    cursor = next ?? undefined;
  } while (opts.all && next);
  return { items, next };
}
