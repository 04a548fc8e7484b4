// `fleetwave guard`: the text it shows of GET /v1/guard, the limits file it reads, and the frozen line of status.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderGuard } from '../../cli/render-guard';
import { frozenLine } from '../../cli/render-operations';
import { guardLimitsFrom, parseDataText } from '../../cli/spec-file';
import type { GuardView } from '../../cli/types';

const view: GuardView = {
  limits: [
    {
      name: 'gcp-customer',
      scope: { cloud: 'gcp', environment: 'customer' },
      maxInFlight: 20,
      maxFailuresPerHour: 5,
      updatedBy: 'ada',
      updatedAt: '2025-12-01T00:00:00.000Z',
    },
    { name: 'all', scope: {}, maxFailuresPerHour: 10, updatedBy: 'ada', updatedAt: '2025-12-01T00:00:00.000Z' },
  ],
  freezes: [
    {
      name: 'year-end',
      from: '2025-12-20T00:00:00.000Z',
      to: '2026-01-05T00:00:00.000Z',
      scope: {},
      reason: 'year-end change freeze',
      createdBy: 'ada',
      createdAt: '2025-12-01T00:00:00.000Z',
      state: 'upcoming',
    },
  ],
  usage: [
    { limit: 'gcp-customer', inFlight: 3, failuresLastHour: 1 },
    { limit: 'all', inFlight: 7, failuresLastHour: 2 },
  ],
  version: '0123456789abcdef',
};

void describe('fleetwave guard', () => {
  it('when the guard is shown, then each limit has its scope, its use and its maxima, and each freeze where it stands', () => {
    const text = renderGuard(view);
    assert.match(text, /gcp-customer\s+cloud=gcp,environment=customer\s+3\s+20\s+1\s+5\s+ada/);
    assert.match(text, /all\s+\(whole fleet\)\s+7\s+-\s+2\s+10\s+ada/);
    assert.match(
      text,
      /year-end\s+upcoming\s+2025-12-20T00:00:00Z\s+2026-01-05T00:00:00Z\s+\(whole fleet\)\s+year-end change freeze/,
    );
    assert.match(text, /limits version: 0123456789abcdef/);
  });

  it('when there are no limits and no freezes, then it says so', () => {
    const text = renderGuard({ limits: [], freezes: [], usage: [], version: 'x' });
    assert.match(text, /^no limits\n\nno freezes\n/);
  });

  it('when a limits file is a list or { limits }, then it is the body of PUT /v1/guard/limits', () => {
    const list = guardLimitsFrom(parseDataText('- name: a\n  maxInFlight: 2\n', 'limits.yaml'));
    assert.deepEqual(list, { limits: [{ name: 'a', maxInFlight: 2 }] });
    const wrapped = guardLimitsFrom(parseDataText('{"limits": []}', 'limits.json'));
    assert.deepEqual(wrapped, { limits: [] });
  });

  it('when a limits file is not valid, then the error names the file, the line and the field', () => {
    assert.throws(
      () => guardLimitsFrom(parseDataText('- name: a\n  maxInFlight: 2\n- name: a\n  maxInFlight: 0\n', 'limits.yaml')),
      (err: Error & { details?: string[] }) => {
        const lines = (err.details ?? []).join('\n');
        assert.match(lines, /limits\.yaml:3: \[1\]\.name: limit name 'a' is used twice/);
        assert.match(lines, /limits\.yaml:4: \[1\]\.maxInFlight/);
        return true;
      },
    );
  });

  it('when freezes hold an operation, then status says which and until when', () => {
    assert.equal(frozenLine({}), null);
    assert.equal(
      frozenLine({ frozen: { freezes: ['year-end'], until: '2026-01-05T00:00:00.000Z' } }),
      'frozen by year-end until 2026-01-05T00:00:00Z: no cluster starts before then (fleetwave guard)',
    );
  });
});
