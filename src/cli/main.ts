#!/usr/bin/env node
/** The `emotion-circuits` command line: one sub-command per file under commands/. */
import { EmotionCircuitsError } from '../errors.js';
import { ATTRIBUTE_USAGE, runAttributeCommand } from './commands/attribute.js';
import { CIRCUITS_USAGE, runCircuitsCommand } from './commands/circuits.js';
import { COMPONENTS_USAGE, runComponentsCommand } from './commands/components.js';
import { DIRECTIONS_USAGE, runDirectionsCommand } from './commands/directions.js';
import { EXPORT_USAGE, runExportCommand } from './commands/export.js';
import { DISCOVER_USAGE, runDiscoverCommand } from './commands/discover.js';
import { EVALUATE_USAGE, runEvaluateCommand, runSweepCommand, SWEEP_USAGE } from './commands/evaluate.js';
import { GENERATE_USAGE, runGenerateCommand } from './commands/generate.js';
import { JUDGE_USAGE, runJudgeCommand } from './commands/judge.js';
import { runServeCommand, SERVE_USAGE } from './commands/serve.js';
import { REPORT_USAGE, runReportCommand } from './commands/report.js';
import { runRunsCommand, RUNS_USAGE } from './commands/runs.js';
import { runStartCommand, START_USAGE } from './commands/start.js';
import { runSteerCommand, STEER_USAGE } from './commands/steer.js';
import { runTraceCommand, TRACE_USAGE } from './commands/trace.js';
import { didYouMean, EXIT_CODES, nextStep } from './nextStep.js';
import { runTrainOrganismCommand, TRAIN_ORGANISM_USAGE } from './commands/trainOrganism.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  start: { run: runStartCommand, usage: START_USAGE },
  trace: { run: runTraceCommand, usage: TRACE_USAGE },
  generate: { run: runGenerateCommand, usage: GENERATE_USAGE },
  directions: { run: runDirectionsCommand, usage: DIRECTIONS_USAGE },
  components: { run: runComponentsCommand, usage: COMPONENTS_USAGE },
  circuits: { run: runCircuitsCommand, usage: CIRCUITS_USAGE },
  judge: { run: runJudgeCommand, usage: JUDGE_USAGE },
  export: { run: runExportCommand, usage: EXPORT_USAGE },
  serve: { run: runServeCommand, usage: SERVE_USAGE },
  discover: { run: runDiscoverCommand, usage: DISCOVER_USAGE },
  steer: { run: runSteerCommand, usage: STEER_USAGE },
  evaluate: { run: runEvaluateCommand, usage: EVALUATE_USAGE },
  sweep: { run: runSweepCommand, usage: SWEEP_USAGE },
  runs: { run: runRunsCommand, usage: RUNS_USAGE },
  report: { run: runReportCommand, usage: REPORT_USAGE },
  'train-organism': { run: runTrainOrganismCommand, usage: TRAIN_ORGANISM_USAGE },
  attribute: { run: runAttributeCommand, usage: ATTRIBUTE_USAGE },
};

function usage(): string {
  return ['usage: emotion-circuits <command> [flags]', '', ...Object.values(COMMANDS).map((c) => c.usage + '\n'), EXIT_CODES, ''].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] && COMMANDS[rest[0]]) {
    process.stdout.write(COMMANDS[rest[0]].usage + '\n');
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    const guess = didYouMean(name, Object.keys(COMMANDS));
    process.stderr.write(`emotion-circuits: unknown command ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ''}\n\n${usage()}`);
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
      process.stderr.write(`emotion-circuits: ${error.message}\n${nextStep(error, name)}`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`emotion-circuits: internal error in ${name}: ${detail}\n  next: this is a bug; please report it with the lines above\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
