// Semantic versions: parsing and precedence (semver.org §11), build metadata ignored.

/** The same grammar the inventory accepts (domain/cluster.ts SemverSchema), so every stored version parses. */
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;
const NUMERIC = /^\d+$/;

export interface ParsedVersion {
  major: string;
  minor: string;
  patch: string;
  /** Dot-separated identifiers; empty for a release. */
  prerelease: string[];
}

/** Parses `1.2.3`, `1.2.3-rc.1`, `1.2.3+build.7`; undefined when the text is not a version. */
export function parseVersion(text: string): ParsedVersion | undefined {
  const m = SEMVER.exec(text);
  if (!m) return undefined;
  return {
    major: m[1] ?? '0',
    minor: m[2] ?? '0',
    patch: m[3] ?? '0',
    prerelease: m[4] === undefined ? [] : m[4].split('.'),
  };
}

export function isVersion(text: string): boolean {
  return SEMVER.test(text);
}

/**
 * Compares digit strings by value without Number, so versions like 2024010112345.0.0 never lose
 * precision; leading zeros (which the inventory tolerates) do not change the value.
 */
function compareNumeric(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareIdentifier(a: string, b: string): number {
  const aNum = NUMERIC.test(a);
  const bNum = NUMERIC.test(b);
  if (aNum && bNum) return compareNumeric(a, b);
  // Numeric identifiers always have lower precedence than alphanumeric ones.
  if (aNum !== bNum) return aNum ? -1 : 1;
  // ASCII order, not locale order: precedence must not depend on where the code runs.
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrerelease(a: string[], b: string[]): number {
  // A release ranks above any of its prereleases: 1.0.0-rc.1 < 1.0.0.
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareIdentifier(a[i] ?? '', b[i] ?? '');
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function parseOrThrow(text: string): ParsedVersion {
  const parsed = parseVersion(text);
  // Inputs are validated at the edges; reaching this is a bug, so fail loudly rather than guess.
  if (!parsed) throw new TypeError(`'${text}' is not a semantic version`);
  return parsed;
}

/** -1, 0 or 1 by semver precedence; `1.0.0+a` and `1.0.0+b` are equal. Throws on a non-version. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const x = parseOrThrow(a);
  const y = parseOrThrow(b);
  const c =
    compareNumeric(x.major, y.major) ||
    compareNumeric(x.minor, y.minor) ||
    compareNumeric(x.patch, y.patch) ||
    comparePrerelease(x.prerelease, y.prerelease);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/** True when `version` has lower precedence than `target`. */
export function isBelow(version: string, target: string): boolean {
  return compareVersions(version, target) < 0;
}
