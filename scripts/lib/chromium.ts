// Where the Chromium the dashboard's browser tests and the benchmark drive lives: CHROMIUM_PATH, else
// `chromium` or `chromium-browser` on PATH (Debian: apt-get install -y chromium). puppeteer-core drives
// it and never downloads a browser of its own.
import fs from 'node:fs';
import path from 'node:path';

const CANDIDATES = ['chromium', 'chromium-browser'];

/** The browser binary, or undefined. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return fs.existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of CANDIDATES) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Flags for a headless Chromium run as root in a container (no user namespace for the sandbox, small /dev/shm). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'];
