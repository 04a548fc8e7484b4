// Maintenance windows and the operation's deadline: when a cluster may be changed, when it is too late.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deadlineMs, missesDeadline, msUntilWindowOpen, windowOpensAt } from '../../domain/maintenance';

// 2026-11-26 is a Thursday.
const at = (iso: string) => new Date(iso);
const MIN = 60_000;

describe('msUntilWindowOpen', () => {
  const cases: { name: string; windows: { days: string[]; start: string; end: string }[]; now: string; ms: number }[] =
    [
      { name: 'no windows: always open', windows: [], now: '2026-11-26T12:00:00Z', ms: 0 },
      {
        name: 'inside a window',
        windows: [{ days: ['thu'], start: '11:00', end: '13:00' }],
        now: '2026-11-26T12:00:00Z',
        ms: 0,
      },
      {
        name: 'the end minute is outside',
        windows: [{ days: ['thu'], start: '11:00', end: '12:00' }],
        now: '2026-11-26T12:00:00Z',
        ms: 7 * 24 * 60 * MIN - 60 * MIN,
      },
      {
        name: 'later the same day',
        windows: [{ days: ['thu'], start: '14:30', end: '15:00' }],
        now: '2026-11-26T12:00:00Z',
        ms: 150 * MIN,
      },
      {
        name: 'another day',
        windows: [{ days: ['sat'], start: '02:00', end: '06:00' }],
        now: '2026-11-26T12:00:00Z',
        ms: (36 + 2) * 60 * MIN,
      },
      {
        name: "yesterday's window running past midnight",
        windows: [{ days: ['wed'], start: '22:00', end: '02:00' }],
        now: '2026-11-26T01:00:00Z',
        ms: 0,
      },
      {
        name: 'the earliest of several',
        windows: [
          { days: ['fri'], start: '01:00', end: '02:00' },
          { days: ['thu'], start: '23:00', end: '23:30' },
        ],
        now: '2026-11-26T12:00:00Z',
        ms: 11 * 60 * MIN,
      },
    ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(msUntilWindowOpen(c.windows as never, at(c.now)), c.ms);
    });
  }
});

describe('windowOpensAt', () => {
  test('when inside a window, then null; else the time the next one opens', () => {
    const windows = [{ days: ['thu'], start: '14:30', end: '15:00' }] as never;
    assert.equal(windowOpensAt(windows, at('2026-11-26T14:45:00Z')), null);
    assert.deepEqual(windowOpensAt(windows, at('2026-11-26T12:00:00Z')), at('2026-11-26T14:30:00Z'));
  });
});

describe('the deadline', () => {
  test('when none is given, then nothing misses it', () => {
    assert.equal(deadlineMs(undefined), null);
    assert.equal(missesDeadline(Number.MAX_SAFE_INTEGER, null), false);
  });

  test('when a start or an opening is at or after the deadline, then it is missed', () => {
    const deadline = deadlineMs('2026-11-26T12:00:00+01:00')!;
    assert.equal(deadline, Date.parse('2026-11-26T11:00:00Z'));
    assert.equal(missesDeadline(deadline - 1, deadline), false);
    assert.equal(missesDeadline(deadline, deadline), true);
    assert.equal(missesDeadline(deadline + 1, deadline), true);
  });
});
