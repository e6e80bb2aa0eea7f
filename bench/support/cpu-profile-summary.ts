/**
 * Self time of a V8 .cpuprofile (`node --cpu-prof`) summed by package (node_modules/<name>),
 * by our source folder (src/<folder>), by Node core, and by V8's own buckets (GC, program, idle).
 *
 *   npx tsx bench/support/cpu-profile-summary.ts <file.cpuprofile> [top=15]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function ownerOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const src = /\/(src|bench|test)\/([^/]+)/.exec(url);
  if (src) return `${src[1]}/${src[2]!.replace(/\.[jt]s$/, '')}`;
  return url;
}

/**
 * `window` keeps only the samples taken between two readings of `process.hrtime.bigint()` in
 * any process of this machine (V8 stamps samples with the same monotonic clock, in µs), so a
 * bench can leave its server's start-up out.
 */
export async function summariseProfile(
  file: string,
  top = 15,
  window?: { from: bigint; to: bigint },
): Promise<string> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const from = window ? Number(window.from / 1000n) : -Infinity;
  const to = window ? Number(window.to / 1000n) : Infinity;
  let at = profile.startTime;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const micros = profile.timeDeltas[index] ?? 0;
    at += micros;
    if (at < from || at > to) return;
    if (!node || node.callFrame.functionName === '(idle)') return;
    total += micros;
    const owner = ownerOf(node.callFrame);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros);
    const name = `${owner}: ${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  });
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `  ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  return [
    `busy CPU ${(total / 1e6).toFixed(1)} s (idle left out); self time by owner:`,
    rows(byOwner),
    'hottest functions (self time):',
    rows(byFunction),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await summariseProfile(process.argv[2]!, Number(process.argv[3] ?? 15)));
}
