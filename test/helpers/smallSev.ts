/** A two-theme slice of the project's SEV for fast end-to-end runs. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The first scenario of the first two themes of each split of the project's SEV. */
export function writeSmallSev(dir: string): string {
  const out = path.join(dir, 'sev-small');
  fs.mkdirSync(out);
  for (const split of ['train', 'test']) {
    const lines = fs.readFileSync(path.join('data', 'sev', `${split}.jsonl`), 'utf8').trim().split('\n');
    const themes = new Map<string, string>();
    for (const line of lines) {
      const theme = (JSON.parse(line) as { theme: string }).theme;
      if (!themes.has(theme) && themes.size < 2) themes.set(theme, line);
    }
    fs.writeFileSync(path.join(out, `${split}.jsonl`), [...themes.values()].join('\n') + '\n');
  }
  return out;
}
