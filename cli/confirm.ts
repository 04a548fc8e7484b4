// Asking a person before an action that cannot be undone; without a person to ask, refusing.
import { createInterface } from 'node:readline';
import { CliError, EXIT, InputError } from './errors';

export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

/**
 * Resolves when the person answers y or yes. No terminal on stdin (a script, CI) is a usage error that
 * names the flag, never a silent yes; any other answer, or end of input, ends the command with exit 1.
 */
export async function confirmOrStop(
  question: string,
  refusal: { what: string; flag: string },
  io: PromptStreams = { input: process.stdin, output: process.stderr },
): Promise<void> {
  if (!io.input.isTTY) {
    throw new InputError(
      `refusing to ${refusal.what} without confirmation: standard input is not a terminal; add ${refusal.flag} to confirm`,
    );
  }
  const rl = createInterface({ input: io.input, output: io.output });
  const answer = await new Promise<string>((resolve) => {
    // Ctrl-D (end of input) is a no, not a hang.
    rl.once('close', () => resolve(''));
    rl.question(question, resolve);
  });
  rl.close();
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new CliError(`not confirmed: did not ${refusal.what}`, EXIT.declined);
}
