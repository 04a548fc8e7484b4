// Configuration and token-list rules: validated at boot, readable errors, no tokens echoed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../config';
import { parseTokenList, roleAllows, ROLES } from '../../domain/auth';

describe('loadConfig', () => {
  test('when nothing is set, then the documented defaults apply and the API runs open', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/fleetwave');
    assert.deepEqual(config.temporal, {
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'fleetwave',
      uiUrl: 'http://127.0.0.1:8233',
    });
    assert.deepEqual(config.tokens, []);
    assert.equal(config.allowSelfApproval, false);
  });

  test('when NODE_ENV=production and no tokens are set, then it refuses to start', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /FLEET_API_TOKENS is required/);
    assert.equal(loadConfig({ NODE_ENV: 'production', FLEET_API_TOKENS: 'secret-123=alice:admin' }).production, true);
  });

  test('when values are invalid, then every bad variable is named', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', FLEET_ALLOW_SELF_APPROVAL: 'maybe' }),
      (err: Error) => {
        assert.match(err.message, /PORT/);
        assert.match(err.message, /FLEET_ALLOW_SELF_APPROVAL/);
        return true;
      },
    );
  });
});

describe('parseTokenList', () => {
  test('when entries are well formed, then each maps a token to identity and role', () => {
    assert.deepEqual(parseTokenList(' tok-aaaa1=alice:operator , tok-bbbb2=bob:viewer'), [
      { token: 'tok-aaaa1', identity: 'alice', role: 'operator' },
      { token: 'tok-bbbb2', identity: 'bob', role: 'viewer' },
    ]);
  });

  for (const [raw, message] of [
    ['tok-aaaa1', /token=identity:role/],
    ['tok-aaaa1=alice', /token=identity:role/],
    ['tok-aaaa1=alice:root', /unknown role 'root'/],
    ['short=alice:admin', /at least 8/],
    ['tok-aaaa1=a:viewer,tok-aaaa1=b:viewer', /same token twice/],
  ] as const) {
    test(`when the list is '${raw}', then it is rejected without echoing the token`, () => {
      assert.throws(
        () => parseTokenList(raw),
        (err: Error) => {
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /tok-aaaa1/);
          return true;
        },
      );
    });
  }
});

describe('roleAllows', () => {
  const table: Record<string, string[]> = {
    viewer: ['viewer'],
    operator: ['viewer', 'operator'],
    approver: ['viewer', 'approver'],
    admin: ['viewer', 'operator', 'approver', 'admin'],
  };
  for (const role of ROLES) {
    test(`when the caller is ${role}, then it may act as ${table[role]!.join(', ')} only`, () => {
      for (const needed of ROLES)
        assert.equal(roleAllows(role, needed), table[role]!.includes(needed), `${role} as ${needed}`);
    });
  }
});
