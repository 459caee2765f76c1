/**
 * The playground's browser script (compiled by tsc, served as /assets/playground.js; no imports, no
 * CDN). It posts the form to /api/generate and reads the server-sent events from the response body
 * (EventSource cannot POST), filling the unsteered and steered panes as tokens arrive. Cancel asks
 * the server to stop the generation by id; if that request fails, it drops the connection, which
 * cancels it too.
 */
export {};

interface RunInfo {
  name: string;
  methods: Record<string, boolean>;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = $<HTMLFormElement>('play');
const runSelect = $<HTMLSelectElement>('run');
const methodSelect = $<HTMLSelectElement>('method');
const strengthInput = $<HTMLInputElement>('strength');
const generateButton = $<HTMLButtonElement>('generate');
const cancelButton = $<HTMLButtonElement>('cancel');
const statusLine = $<HTMLElement>('status');
const panes = { unsteered: $<HTMLElement>('unsteered'), steered: $<HTMLElement>('steered') };

let current: { id: string | null; controller: AbortController } | null = null;

function setStatus(text: string): void {
  statusLine.textContent = text;
}

async function loadRuns(): Promise<void> {
  const runs = (await (await fetch('/api/runs')).json()) as { name: string; twin?: { name: string } }[];
  const wanted = new URLSearchParams(location.search).get('run');
  // Each run, then its random-weight twin (named NAME/twin).
  const names = runs.flatMap((r) => (r.twin ? [r.name, r.twin.name] : [r.name]));
  runSelect.replaceChildren(...names.map((name) => new Option(name, name, false, name === wanted)));
  if (runs.length === 0) setStatus('No runs in the runs folder yet.');
  await loadMethods();
}

async function loadMethods(): Promise<void> {
  if (!runSelect.value) return;
  const info = (await (await fetch(`/api/runs/${runSelect.value.split('/').map(encodeURIComponent).join('/')}`)).json()) as RunInfo;
  for (const option of Array.from(methodSelect.options)) {
    option.disabled = !info.methods[option.value];
    option.title = option.disabled ? 'this run lacks the files this method needs' : '';
  }
  if (methodSelect.selectedOptions[0]?.disabled) methodSelect.value = 'none';
}

function defaultStrength(): void {
  // Empty = the method's default: the circuit's own λ for circuit and random.
  strengthInput.value = methodSelect.value === 'direction' ? '8' : '';
  strengthInput.placeholder = methodSelect.value === 'direction' ? 'α' : methodSelect.value === 'none' || methodSelect.value === 'prompt' ? 'unused' : "circuit's λ";
}

/** Calls `onEvent` for each complete event in the SSE byte stream. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: unknown) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      onEvent(event, data ? JSON.parse(data) : null);
    }
  }
}

async function generate(): Promise<void> {
  const data = new FormData(form);
  const body = {
    run: data.get('run'),
    prompt: data.get('prompt'),
    emotion: data.get('emotion'),
    method: data.get('method'),
    strength: data.get('strength') === '' ? null : Number(data.get('strength')),
    maxNewTokens: Number(data.get('maxNewTokens')),
  };
  panes.unsteered.textContent = '';
  panes.steered.textContent = '';
  const controller = new AbortController();
  current = { id: null, controller };
  generateButton.disabled = true;
  cancelButton.disabled = false;
  setStatus('Sending…');
  try {
    const response = await fetch('/api/generate', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: controller.signal });
    if (!response.ok || !response.body) {
      const error = (await response.json().catch(() => ({ error: response.statusText }))) as { error: string };
      const retry = response.headers.get('Retry-After');
      setStatus(`${response.status === 503 ? 'Busy' : 'Error'}: ${error.error}${retry ? ` (retry in ${retry} s)` : ''}`);
      return;
    }
    await readEvents(response.body, (event, payload) => {
      const p = payload as Record<string, unknown>;
      if (event === 'queued') {
        current!.id = p.id as string;
        setStatus(Number(p.position) > 0 ? `Queued (${p.position} ahead)…` : 'Starting…');
      } else if (event === 'start') setStatus(`Generating with ${p.model}…`);
      else if (event === 'token') panes[p.arm as 'steered' | 'unsteered'].textContent = p.text as string;
      else if (event === 'done') {
        const arms = p as Record<'steered' | 'unsteered', { text: string; tokens: number; stopReason: string }>;
        panes.unsteered.textContent = arms.unsteered.text;
        panes.steered.textContent = arms.steered.text;
        setStatus(`Done: ${arms.unsteered.tokens} + ${arms.steered.tokens} tokens.`);
      } else if (event === 'cancelled') setStatus(`Cancelled (${p.reason}).`);
      else if (event === 'error') setStatus(`Error: ${p.message}`);
    });
  } catch (error) {
    setStatus(controller.signal.aborted ? 'Cancelled (connection closed).' : `Error: ${(error as Error).message}`);
  } finally {
    current = null;
    generateButton.disabled = false;
    cancelButton.disabled = true;
  }
}

async function cancel(): Promise<void> {
  const job = current;
  if (!job) return;
  cancelButton.disabled = true;
  setStatus('Cancelling…');
  const ok = job.id !== null && (await fetch(`/api/generations/${encodeURIComponent(job.id)}/cancel`, { method: 'POST' }).then((r) => r.ok, () => false));
  if (!ok) job.controller.abort();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void generate();
});
cancelButton.addEventListener('click', () => void cancel());
runSelect.addEventListener('change', () => void loadMethods());
methodSelect.addEventListener('change', defaultStrength);
defaultStrength();
void loadRuns().catch((error: Error) => setStatus(`Cannot list runs: ${error.message}`));
