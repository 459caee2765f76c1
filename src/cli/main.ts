#!/usr/bin/env node
/** The `emotion-circuits` command line: one sub-command per file under commands/. */
import { EmotionCircuitsError } from '../errors.js';
import { COMPONENTS_USAGE, runComponentsCommand } from './commands/components.js';
import { DIRECTIONS_USAGE, runDirectionsCommand } from './commands/directions.js';
import { DISCOVER_USAGE, runDiscoverCommand } from './commands/discover.js';
import { EVALUATE_USAGE, runEvaluateCommand, runSweepCommand, SWEEP_USAGE } from './commands/evaluate.js';
import { GENERATE_USAGE, runGenerateCommand } from './commands/generate.js';
import { JUDGE_USAGE, runJudgeCommand } from './commands/judge.js';
import { runStartCommand, START_USAGE } from './commands/start.js';
import { runSteerCommand, STEER_USAGE } from './commands/steer.js';
import { runTraceCommand, TRACE_USAGE } from './commands/trace.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  start: { run: runStartCommand, usage: START_USAGE },
  trace: { run: runTraceCommand, usage: TRACE_USAGE },
  generate: { run: runGenerateCommand, usage: GENERATE_USAGE },
  directions: { run: runDirectionsCommand, usage: DIRECTIONS_USAGE },
  components: { run: runComponentsCommand, usage: COMPONENTS_USAGE },
  discover: { run: runDiscoverCommand, usage: DISCOVER_USAGE },
  steer: { run: runSteerCommand, usage: STEER_USAGE },
  evaluate: { run: runEvaluateCommand, usage: EVALUATE_USAGE },
  sweep: { run: runSweepCommand, usage: SWEEP_USAGE },
  judge: { run: runJudgeCommand, usage: JUDGE_USAGE },
};

function usage(): string {
  return ['usage: emotion-circuits <command> [flags]', '', ...Object.values(COMMANDS).map((c) => c.usage + '\n')].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`emotion-circuits: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (error instanceof EmotionCircuitsError) {
      process.stderr.write(`emotion-circuits: ${error.message}\n`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
