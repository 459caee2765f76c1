/**
 * `emotion-circuits start` (what `npm start` runs): the main job — `discover` on the model given by
 * --model or EMOTION_CIRCUITS_MODEL, into runs/<model folder name>/. Finished stages are skipped and
 * interrupted ones resume.
 */
export { runStartCommand, START_USAGE } from './discover.js';
