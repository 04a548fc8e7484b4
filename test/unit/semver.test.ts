// Semantic version precedence, as the selector's versionBelow and the upgrade skip rule rely on it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, isBelow, isVersion, parseVersion } from '../../domain/semver';

void describe('compareVersions', () => {
  const ordered: [string, string][] = [
    ['1.2.3', '1.2.4'],
    ['1.2.9', '1.3.0'],
    ['1.9.0', '1.10.0'],
    ['2.0.0', '10.0.0'],
    ['3.6.9', '3.7.0'],
    // The precedence chain from semver.org §11.
    ['1.0.0-alpha', '1.0.0-alpha.1'],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta'],
    ['1.0.0-alpha.beta', '1.0.0-beta'],
    ['1.0.0-beta', '1.0.0-beta.2'],
    ['1.0.0-beta.2', '1.0.0-beta.11'],
    ['1.0.0-beta.11', '1.0.0-rc.1'],
    ['1.0.0-rc.1', '1.0.0'],
    ['3.7.0', '3.7.1-rc.1'],
    ['1.0.0-9', '1.0.0-a'],
    ['1.0.0-B', '1.0.0-a'],
    ['9007199254740993.0.0', '9007199254740994.0.0'],
  ];
  for (const [lower, higher] of ordered) {
    void it(`when comparing ${lower} with ${higher}, then ${lower} ranks lower`, () => {
      assert.equal(compareVersions(lower, higher), -1);
      assert.equal(compareVersions(higher, lower), 1);
    });
  }

  const equal: [string, string][] = [
    ['3.7.1', '3.7.1'],
    ['3.7.1+build.1', '3.7.1+build.2'],
    ['3.7.1-rc.1+a', '3.7.1-rc.1'],
    ['3.07.1', '3.7.1'],
  ];
  for (const [a, b] of equal) {
    void it(`when comparing ${a} with ${b}, then they rank equal`, () => {
      assert.equal(compareVersions(a, b), 0);
    });
  }

  void it('when a version is not semantic, then comparing it throws', () => {
    assert.throws(() => compareVersions('3.7', '3.7.1'), TypeError);
    assert.throws(() => compareVersions('3.7.1', 'latest'), TypeError);
  });
});

void describe('isBelow', () => {
  const cases: [string, string, boolean][] = [
    ['3.6.0', '3.7.1', true],
    ['3.7.1', '3.7.1', false],
    ['3.8.0', '3.7.1', false],
    ['3.7.1-rc.2', '3.7.1', true],
    ['3.7.1', '3.7.1-rc.2', false],
    ['3.7.1+meta', '3.7.1', false],
  ];
  for (const [version, target, below] of cases) {
    void it(`when the version is ${version} and the target ${target}, then isBelow is ${below}`, () => {
      assert.equal(isBelow(version, target), below);
    });
  }
});

void describe('parseVersion', () => {
  void it('when given a prerelease with build metadata, then it keeps the prerelease and drops the build', () => {
    assert.deepEqual(parseVersion('1.2.3-rc.1+exp.sha.5114f85'), {
      major: '1',
      minor: '2',
      patch: '3',
      prerelease: ['rc', '1'],
    });
  });

  for (const text of ['3.7', 'v3.7.1', '3.7.1.0', '', 'latest', '3.7.1-', '3.7.1-rc_1']) {
    void it(`when given '${text}', then it is not a version`, () => {
      assert.equal(parseVersion(text), undefined);
      assert.equal(isVersion(text), false);
    });
  }
});
