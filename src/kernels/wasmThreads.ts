/**
 * The kernel threads of the WebAssembly backend: the main thread plus (threads − 1) workers
 * (wasmWorker.ts) that share one control block (CTL_WORDS int32 words, layout in wasmAbi.ts) and
 * every arena memory.
 *
 * A command is one atomic word (CTL_SEQ = sequence number << 4 | command) that the workers
 * Atomics.wait() on. For a job the caller writes its CTL_* words into `control`, then
 * parallelRun() publishes it, computes the main thread's share of the chunks and waits for the rest.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import {
  type AddArenaMessage, type KernelExports, type WorkerInit,
  CMD_ADD_ARENA, CMD_EXIT, CMD_RUN, CTL_ARENA, CTL_ARGS, CTL_CHUNKS, CTL_CLAIM, CTL_DONE, CTL_ERROR, CTL_FINISHED, CTL_KIND, CTL_SEQ,
  CTL_WORDS, jobId, runChunks,
} from './wasmAbi.js';

export class KernelThreads {
  /** The shared control block: the job's CTL_* words are written here before parallelRun(). */
  readonly control: Int32Array;
  private readonly workers: Worker[];
  private readonly ports: MessagePort[];
  private seq = 0;

  private constructor(control: Int32Array, workers: Worker[], ports: MessagePort[]) {
    this.control = control;
    this.workers = workers;
    this.ports = ports;
  }

  /** Starts (threads − 1) workers on `module` and resolves once every one is ready. */
  static async start(module: WebAssembly.Module, threads: number, relaxed: boolean): Promise<KernelThreads> {
    const controlBuffer = new SharedArrayBuffer(CTL_WORDS * 4);
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const started: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = { module, control: controlBuffer, port: port2, threadIndex: t, relaxed };
      const worker = new Worker(new URL('./wasmWorker.js', import.meta.url), { workerData: init, transferList: [port2] });
      started.push(new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        port1.once('message', () => {
          worker.off('error', reject);
          resolve();
        });
      }));
      workers.push(worker);
      ports.push(port1);
    }
    try {
      await Promise.all(started);
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    // Workers and ports must not keep a CLI alive; stop() terminates them explicitly.
    for (const worker of workers) worker.unref();
    for (const port of ports) port.unref();
    return new KernelThreads(new Int32Array(controlBuffer), workers, ports);
  }

  /** Hands a new arena memory to every worker and waits until each has instantiated the kernels on it. */
  addArena(memory: WebAssembly.Memory): void {
    if (this.workers.length === 0) return;
    const message: AddArenaMessage = { memory };
    for (const port of this.ports) port.postMessage(message);
    Atomics.store(this.control, CTL_DONE, 0);
    Atomics.store(this.control, CTL_ERROR, 0);
    this.publish(CMD_ADD_ARENA);
    this.waitFor(CTL_DONE, this.workers.length);
    if (Atomics.load(this.control, CTL_ERROR) !== 0) throw new Error('a kernel worker could not add an arena (see stderr)');
  }

  /**
   * Runs the job described in the control block on all threads; returns when every chunk is done.
   * `arenaKernels[i]`: the main thread's kernels on arena i.
   */
  parallelRun(arenaKernels: readonly KernelExports[]): void {
    const ctl = this.control;
    const id = jobId(this.seq + 1);
    Atomics.store(ctl, CTL_FINISHED, 0);
    Atomics.store(ctl, CTL_ERROR, 0);
    Atomics.store(ctl, CTL_CLAIM, id << 16);
    this.publish(CMD_RUN);
    let ownError: unknown;
    try {
      runChunks(ctl, arenaKernels, 0, id);
    } catch (error) {
      ownError = error;
    }
    this.waitFor(CTL_FINISHED, ctl[CTL_CHUNKS]);
    if (ownError !== undefined) throw ownError;
    if (Atomics.load(ctl, CTL_ERROR) !== 0) throw new Error('a kernel worker failed (see stderr)');
  }

  /**
   * Runs `chunks` chunks of a kernel whose arguments sit in a block at byte `args` of arena
   * `arenaIndex` (KIND_ATTENTION_TRAIN, KIND_ATTENTION_BATCH) on all threads.
   */
  runArgsJob(kind: number, arenaIndex: number, args: number, chunks: number, arenaKernels: readonly KernelExports[]): void {
    const ctl = this.control;
    ctl[CTL_KIND] = kind;
    ctl[CTL_ARENA] = arenaIndex;
    ctl[CTL_ARGS] = args;
    ctl[CTL_CHUNKS] = chunks;
    this.parallelRun(arenaKernels);
  }

  /** Tells the workers to exit, terminates them and closes their ports. */
  async stop(): Promise<void> {
    if (this.workers.length > 0) {
      this.publish(CMD_EXIT);
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    for (const port of this.ports) port.close();
  }

  /** Starts a command on the workers: one atomic word holds the new sequence number and `cmd`. */
  private publish(cmd: number): number {
    this.seq = (this.seq + 1) & 0x7ffffff;
    Atomics.store(this.control, CTL_SEQ, (this.seq << 4) | cmd);
    Atomics.notify(this.control, CTL_SEQ);
    return this.seq;
  }

  /** Blocks (spinning briefly first) until control word `index` reaches `target`. */
  private waitFor(index: number, target: number): void {
    const ctl = this.control;
    let value = Atomics.load(ctl, index);
    for (let spin = 0; value < target && spin < 20000; spin++) value = Atomics.load(ctl, index);
    while (value < target) {
      Atomics.wait(ctl, index, value);
      value = Atomics.load(ctl, index);
    }
  }
}
