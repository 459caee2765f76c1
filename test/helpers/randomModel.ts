/** The random-weight twin now lives in src/model/randomTwin.ts (the pipeline uses it); re-exported for tests. */
export { writeRandomTwin } from '../../src/model/randomTwin.js';
