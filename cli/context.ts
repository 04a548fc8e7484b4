// What every command needs: the API client and output format from the global options, argument parsers.
import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient } from './client';

export interface GlobalOptions {
  url: string;
  token?: string;
  output: 'text' | 'json';
}

export interface Context {
  client: ApiClient;
  json: boolean;
  /** `--output json` prints the API's answer as is; text mode prints what `render` makes of it. */
  emit(answer: unknown, render: () => string): void;
  say(text: string): void;
}

export function contextOf(cmd: Command): Context {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const json = opts.output === 'json';
  return {
    client: new ApiClient({ baseUrl: opts.url, token: opts.token }),
    json,
    emit(answer, render) {
      process.stdout.write(json ? `${JSON.stringify(answer, null, 2)}\n` : `${render()}\n`);
    },
    say(text) {
      process.stdout.write(`${text}\n`);
    },
  };
}

/** A commander parser for a whole number in [min, max]: bad values are usage errors (exit 2). */
export const intOption =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };

export const secondsOption =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`expected a number of seconds ≥ ${min}`);
    return n;
  };

/** `--label team=core`, repeatable: collected into a map. */
export function labelOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got '${value}'`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}
