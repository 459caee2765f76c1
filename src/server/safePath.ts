/**
 * Maps URL path segments to a file under the runs folder and refuses everything else: each raw
 * segment is percent-decoded exactly once and must then be a plain name (no "", ".", "..", "/", "\",
 * NUL, or a leftover "%" — which is how double encoding like %252e%252e shows up); the joined path is
 * resolved with realpath, so a symlink inside the folder that points outside it is refused too.
 *
 * @example
 * const file = resolveUnderRoot(realRoot, ['my-run', 'report.html']);
 * if (file.kind !== 'ok') answer(file.status);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Resolved =
  | { kind: 'ok'; path: string; stat: fs.Stats }
  /** 400 malformed encoding, 403 refused segment or outside the root, 404 missing. */
  | { kind: 'refused'; status: 400 | 403 | 404; reason: string };

/** Decodes one raw (still percent-encoded) segment, or says why it is refused. */
export function decodeSegment(raw: string): { ok: true; name: string } | { ok: false; status: 400 | 403; reason: string } {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding' };
  }
  if (name === '' || name === '.' || name === '..') return { ok: false, status: 403, reason: `path segment ${JSON.stringify(name)} is not allowed` };
  if (/[/\\\0%]/.test(name)) return { ok: false, status: 403, reason: 'path segments may not contain "/", "\\", NUL or "%" after decoding' };
  if (/^[A-Za-z]:/.test(name)) return { ok: false, status: 403, reason: 'drive-letter paths are not allowed' };
  return { ok: true, name };
}

/**
 * The real path of `rawSegments` joined under `realRoot` (itself a realpath), when it exists and
 * stays inside the root after following every symlink.
 */
export function resolveUnderRoot(realRoot: string, rawSegments: readonly string[]): Resolved {
  const names: string[] = [];
  for (const raw of rawSegments) {
    const decoded = decodeSegment(raw);
    if (!decoded.ok) return { kind: 'refused', status: decoded.status, reason: decoded.reason };
    names.push(decoded.name);
  }
  return realUnderRoot(realRoot, path.join(realRoot, ...names));
}

/** The real path of `file` when it exists and, after following every symlink, is `realRoot` or inside it. */
export function realUnderRoot(realRoot: string, file: string): Resolved {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return { kind: 'refused', status: 404, reason: 'not found' };
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return { kind: 'refused', status: 403, reason: 'outside the runs folder' };
  return { kind: 'ok', path: real, stat: fs.statSync(real) };
}
