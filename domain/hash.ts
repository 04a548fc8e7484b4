// A stable, pure-TypeScript string hash for deterministic choices (percent slices) in workflow code.

/** FNV-1a 32-bit over the UTF-8 bytes of `text`; unsigned. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash = Math.imul(hash ^ byte, 0x01000193);
  };
  // Encode by hand: TextEncoder and node:crypto are not guaranteed inside the workflow sandbox.
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (cp < 0x80) {
      mix(cp);
    } else if (cp < 0x800) {
      mix(0xc0 | (cp >> 6));
      mix(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      mix(0xe0 | (cp >> 12));
      mix(0x80 | ((cp >> 6) & 0x3f));
      mix(0x80 | (cp & 0x3f));
    } else {
      mix(0xf0 | (cp >> 18));
      mix(0x80 | ((cp >> 12) & 0x3f));
      mix(0x80 | ((cp >> 6) & 0x3f));
      mix(0x80 | (cp & 0x3f));
    }
  }
  return hash >>> 0;
}

/**
 * FNV-1a finished with murmur3's fmix32: plain FNV-1a leaves ids that differ only in their last
 * character (kafka-001, kafka-002, …) in nearly id order, so a "random" 10% canary would be a
 * contiguous block of ids. The finalizer spreads every input bit over the whole output.
 */
export function stableHash(text: string): number {
  let h = fnv1a32(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
