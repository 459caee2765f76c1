/**
 * A kernel worker: instantiates the kernel module on every arena memory it is given and runs
 * its share of each job (GEMM or attention). It never returns to its event loop: commands arrive
 * through the shared control block (Atomics.wait), arena memories through `receiveMessageOnPort`.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  type AddArenaMessage, type KernelExports, type WorkerInit,
  CMD_ADD_ARENA, CMD_EXIT, CMD_RUN, CTL_DONE, CTL_ERROR, CTL_SEQ,
  enableRelaxedSimd, instantiate, jobId, runChunks,
} from './wasmAbi.js';

const init = workerData as WorkerInit;
if (init.relaxed) enableRelaxedSimd();
const ctl = new Int32Array(init.control);
const arenas: KernelExports[] = [];
const SPIN = 20000;

function addArena(): void {
  let received = receiveMessageOnPort(init.port);
  for (let tries = 0; !received && tries < 1000; tries++) {
    Atomics.wait(ctl, CTL_ERROR, 0, 1);
    received = receiveMessageOnPort(init.port);
  }
  if (!received) throw new Error('kernel worker: arena memory did not arrive');
  arenas.push(instantiate(init.module, (received.message as AddArenaMessage).memory));
}

// Read the sequence word before announcing readiness, so no command can slip in between.
let seen = Atomics.load(ctl, CTL_SEQ);
init.port.postMessage('ready');
for (;;) {
  // Spin briefly: the next layer's product usually follows within microseconds.
  for (let i = 0; i < SPIN && Atomics.load(ctl, CTL_SEQ) === seen; i++);
  Atomics.wait(ctl, CTL_SEQ, seen);
  seen = Atomics.load(ctl, CTL_SEQ);
  const cmd = seen & 15;
  if (cmd === CMD_EXIT) break;
  if (cmd === CMD_RUN) {
    runChunks(ctl, arenas, init.threadIndex, jobId(seen >>> 4));
    continue;
  }
  try {
    if (cmd === CMD_ADD_ARENA) addArena();
  } catch (error) {
    Atomics.store(ctl, CTL_ERROR, 1);
    console.error(error);
  }
  Atomics.add(ctl, CTL_DONE, 1);
  Atomics.notify(ctl, CTL_DONE);
}
init.port.close();
