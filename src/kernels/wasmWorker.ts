/**
 * A kernel worker: instantiates the kernel module on every arena memory it is given and runs
 * its share of each GEMM. It never returns to its event loop: commands arrive through the
 * shared control block (Atomics.wait), arena memories through `receiveMessageOnPort`.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  type AddArenaMessage, type KernelExports, type WorkerInit,
  CMD_ADD_ARENA, CMD_EXIT, CMD_GEMM, CTL_AP, CTL_ARENA, CTL_BIAS, CTL_CMD, CTL_DONE, CTL_DTYPE,
  CTL_ERROR, CTL_K, CTL_LDC, CTL_M, CTL_OUT, CTL_SEQ, CTL_THREADS, CTL_W,
  enableRelaxedSimd, instantiate,
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

function runGemm(): void {
  const t = CTL_THREADS + 3 * init.threadIndex;
  const p0 = ctl[t], p1 = ctl[t + 1];
  if (p0 >= p1) return;
  arenas[ctl[CTL_ARENA]].gemm(
    ctl[CTL_AP] >>> 0, ctl[CTL_M], ctl[CTL_K], ctl[CTL_W] >>> 0, ctl[CTL_DTYPE], p0, p1,
    ctl[CTL_OUT] >>> 0, ctl[CTL_LDC], ctl[CTL_BIAS] >>> 0, ctl[t + 2] >>> 0,
  );
}

// Read the sequence number before announcing readiness, so no command can slip in between.
let seen = Atomics.load(ctl, CTL_SEQ);
init.port.postMessage('ready');
for (;;) {
  // Spin briefly: the next layer's product usually follows within microseconds.
  for (let i = 0; i < SPIN && Atomics.load(ctl, CTL_SEQ) === seen; i++);
  Atomics.wait(ctl, CTL_SEQ, seen);
  seen = Atomics.load(ctl, CTL_SEQ);
  const cmd = ctl[CTL_CMD];
  if (cmd === CMD_EXIT) break;
  try {
    if (cmd === CMD_GEMM) runGemm();
    else if (cmd === CMD_ADD_ARENA) addArena();
  } catch (error) {
    Atomics.store(ctl, CTL_ERROR, 1);
    console.error(error);
  }
  Atomics.add(ctl, CTL_DONE, 1);
  Atomics.notify(ctl, CTL_DONE);
}
init.port.close();
