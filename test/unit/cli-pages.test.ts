// The CLI's --all loop: which pages it reads and what it answers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readPages, type Page } from '../../cli/pages';

/** Three pages of two letters, keyed by cursor; records which cursors were asked for. */
function book() {
  const pages: Record<string, Page<string>> = {
    first: { items: ['a', 'b'], next: 'c2' },
    c2: { items: ['c', 'd'], next: 'c3' },
    c3: { items: ['e'], next: null },
  };
  const asked: (string | undefined)[] = [];
  const read = (cursor: string | undefined) => {
    asked.push(cursor);
    return Promise.resolve(pages[cursor ?? 'first']!);
  };
  return { read, asked };
}

describe('readPages', () => {
  test('when --all is not given, then one page is read and its next cursor is answered', async () => {
    const { read, asked } = book();
    assert.deepEqual(await readPages(read, {}), { items: ['a', 'b'], next: 'c2' });
    assert.deepEqual(asked, [undefined]);
  });

  test('when --all is given, then every page is read in order and next is null', async () => {
    const { read, asked } = book();
    assert.deepEqual(await readPages(read, { all: true }), { items: ['a', 'b', 'c', 'd', 'e'], next: null });
    assert.deepEqual(asked, [undefined, 'c2', 'c3']);
  });

  test('when a starting cursor is given, then reading starts there', async () => {
    const { read, asked } = book();
    assert.deepEqual(await readPages(read, { from: 'c2', all: true }), { items: ['c', 'd', 'e'], next: null });
    assert.deepEqual(asked, ['c2', 'c3']);
  });
});
