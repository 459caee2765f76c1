/**
 * Runs `emotion-circuits directions` as its own process (argv after the script), so tests can
 * interrupt it with a signal. Exit codes as the real dispatcher: 1 input error, 2 usage error.
 */
import { EmotionCircuitsError } from '../../src/errors.js';
import { runDirectionsCommand } from '../../src/cli/commands/directions.js';

try {
  await runDirectionsCommand(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof EmotionCircuitsError)) throw error;
  process.stderr.write(`emotion-circuits: ${error.message}\n`);
  process.exitCode = error.code === 'USAGE' ? 2 : 1;
}
