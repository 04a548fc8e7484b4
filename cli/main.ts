// The `fleetwave` program: global options, the commands, and one place that turns errors into exit codes.
import { Command, CommanderError, Option } from 'commander';
import { version } from '../package.json';
import { registerClusters } from './commands/clusters';
import { registerControl } from './commands/control';
import { registerGuard } from './commands/guard';
import { registerOperations } from './commands/operations';
import { registerPlanEdits } from './commands/plan-edits';
import { registerRuns } from './commands/runs';
import { CliError, EXIT, EXIT_CODES_HELP, formatError } from './errors';

const DEFAULT_URL = 'http://127.0.0.1:8080';

function buildProgram(): Command {
  const program = new Command('fleetwave');
  program
    .description(
      'Fleet-wide cluster operations in waves: plan, start, watch, approve and control them through the fleetwave API.',
    )
    // Set before the commands are added: subcommands inherit both.
    .version(version, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addOption(new Option('--url <url>', 'fleetwave API base URL').env('FLEETWAVE_URL').default(DEFAULT_URL))
    .addOption(new Option('--token <token>', 'API bearer token').env('FLEETWAVE_TOKEN'))
    .addOption(
      new Option('-o, --output <format>', 'text for people, json for scripts (the API answer as is)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addHelpText(
      'after',
      `
Examples:
  export FLEETWAVE_URL=http://127.0.0.1:8080 FLEETWAVE_TOKEN=…
  fleetwave clusters import fleet.yaml
  fleetwave plan kafka-3.7.1.yaml
  fleetwave start kafka-3.7.1.yaml --request-id change-1234
  fleetwave status kafka-3.7.1-a1b2c3 --watch
  fleetwave operations approve kafka-3.7.1-a1b2c3 --wave 2 --comment "canary healthy"
  fleetwave operations failed kafka-3.7.1-a1b2c3
  fleetwave operations set-parallel kafka-3.7.1-a1b2c3 20
  fleetwave operations edit kafka-3.7.1-a1b2c3 --wave 3 --max-failures 2 --bake 600
  fleetwave events kafka-3.7.1-a1b2c3 -o json
  fleetwave guard

Every operation command works as "fleetwave operations <command>" and as "fleetwave <command>".

${EXIT_CODES_HELP}

Errors are printed to stderr as "error: <code>: <message>" with one line per detail.`,
    );
  registerClusters(program);
  registerGuard(program);
  const operations = program
    .command('operations')
    .alias('ops')
    .description('plan, start, list, watch, approve, control and tune operations (each also a top-level command)');
  registerOperationCommands(operations);
  registerOperationCommands(program);
  return program;
}

/** One set of operation commands, registered under `operations` and, for short lines, at the top level. */
function registerOperationCommands(parent: Command): void {
  registerOperations(parent);
  registerControl(parent);
  registerPlanEdits(parent);
  registerRuns(parent);
}

/** Runs the CLI and resolves to its exit code; never throws. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the problem (or the help/version asked for) already.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${formatError(err).join('\n')}\n`);
      return err.exitCode;
    }
    process.stderr.write(`error: internal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.internal;
  }
}

export function main(argv: string[]): void {
  void run(argv).then((code) => {
    // exitCode, not exit(): stdout may still be flushing into a pipe.
    process.exitCode = code;
  });
}
