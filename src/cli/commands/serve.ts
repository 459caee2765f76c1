/** `emotion-circuits serve`: the local web UI (runs, reports, steering playground) until Ctrl-C. */
import { UsageError } from '../../errors.js';
import { DEFAULT_LIMITS } from '../../server/generateRoute.js';
import { startServer } from '../../server/server.js';
import { WEIGHTS_FLAG, parseFlags, parseInteger, parseOptionalWeights } from '../args.js';

export const SERVE_USAGE = `emotion-circuits serve [--runs DIR] [--port N] [--host 127.0.0.1] [--model DIR] [--max-queue ${DEFAULT_LIMITS.maxQueued}] [--max-new-tokens ${DEFAULT_LIMITS.maxNewTokens}] [--weights stored|int8]
  A local web UI: browse run folders and their reports, and a playground that streams a steered
  continuation (none / prompt / direction / circuit / random, with a strength) beside the unsteered
  one. Listens on 127.0.0.1 only unless --host says otherwise. One model in memory (the selected
  run's, or --model for all runs); one generation at a time, --max-queue more waiting, then "busy".
  Nothing outside --runs (default runs/) can be read through the server. --weights: one weights
  mode for every run (default: each run's, recorded in its manifest.json).
  Examples:
    emotion-circuits serve                       # http://127.0.0.1:8642, runs from ./runs
    emotion-circuits serve --runs ~/experiments --port 9000
    emotion-circuits serve --model path/to/hf-folder   # when runs were made on another machine`;

export async function runServeCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('serve', argv, {
    runs: { type: 'string', default: 'runs' },
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    model: { type: 'string' },
    'max-queue': { type: 'string' },
    'max-new-tokens': { type: 'string' },
    ...WEIGHTS_FLAG,
  });
  const port = parseInteger('serve', 'port', values.port) ?? 8642;
  if (port < 0 || port > 65535) throw new UsageError(`serve: --port must be in 0…65535, got ${port}`);
  const maxQueued = parseInteger('serve', 'max-queue', values['max-queue']) ?? DEFAULT_LIMITS.maxQueued;
  const maxNewTokens = parseInteger('serve', 'max-new-tokens', values['max-new-tokens']) ?? DEFAULT_LIMITS.maxNewTokens;
  if (maxQueued < 0 || maxNewTokens < 1) throw new UsageError('serve: --max-queue must be ≥ 0 and --max-new-tokens ≥ 1');
  let server;
  try {
    server = await startServer({ runsDir: values.runs, port, host: values.host, model: values.model, weights: parseOptionalWeights('serve', values.weights), limits: { maxQueued, maxNewTokens } });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`serve: port ${port} is in use; pick another with --port N (0 = any free port)`);
    throw error;
  }
  if (values.host !== '127.0.0.1' && values.host !== 'localhost' && values.host !== '::1') {
    process.stderr.write(`serve: warning: listening on ${values.host}, not only on this machine; anyone who can reach it can read your runs and use your CPU\n`);
  }
  process.stdout.write(`emotion-circuits: serving ${values.runs} at ${server.url}/ (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
