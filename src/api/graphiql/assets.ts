import { IMMUTABLE, staticFile, type StaticFile } from '../../http/static-file.js';
import { START_SCRIPT } from './start-script.js';

/** Where GraphiQL's files are served; each name carries a hash of its content. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/assets/';

export interface GraphiQLAsset extends StaticFile {
  /** `<role>.<hash>.<ext>`, under GRAPHIQL_ASSETS_PATH. */
  name: string;
  url: string;
}

export interface GraphiQLAssets {
  byName: ReadonlyMap<string, GraphiQLAsset>;
  script: GraphiQLAsset;
  styles: GraphiQLAsset;
  favicon: GraphiQLAsset;
  start: GraphiQLAsset;
  /** Monaco's workers by the label Monaco asks for them with (`getWorkerUrl`). */
  workers: Record<'editorWorkerService' | 'json' | 'graphql', GraphiQLAsset>;
}

const JS = 'text/javascript; charset=utf-8';

function asset(role: string, ext: string, contentType: string, body: Buffer): GraphiQLAsset {
  // Compressed once per process, on zlib's threads (about 1 s of CPU for all of them, brotli's
  // share most of it), started with the first GraphiQL request; an asset request waits for its
  // own bodies only.
  const file = staticFile(body, contentType, IMMUTABLE);
  const name = `${role}.${file.hash}.${ext}`;
  return { ...file, name, url: GRAPHIQL_ASSETS_PATH + name };
}

/** `data:<type>;base64,<data>`, the form of yoga's bundled favicon. */
function fromDataUrl(role: string, dataUrl: string): GraphiQLAsset {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(dataUrl);
  if (!match) throw new Error(`GraphiQL's ${role} is not a base64 data URL`);
  const ext = match[1] === 'image/x-icon' ? 'ico' : (match[1]!.split('/')[1] ?? 'bin');
  return asset(role, ext, match[1]!, Buffer.from(match[2]!, 'base64'));
}

async function loadAssets(): Promise<GraphiQLAssets> {
  // The prebuilt bundle behind yoga's renderGraphiQL (GraphiQL, Monaco, its workers, CSS and
  // favicon, all as strings): the very files, split out instead of inlined into one 9 MB page.
  // Loaded on the first GraphiQL request, so processes nobody opens GraphiQL on never hold it.
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const all = {
    script: asset('graphiql', 'js', JS, Buffer.from(bundle.js)),
    styles: asset('graphiql', 'css', 'text/css; charset=utf-8', Buffer.from(bundle.css)),
    favicon: fromDataUrl('favicon', bundle.favicon),
    start: asset('start', 'js', JS, Buffer.from(START_SCRIPT)),
    editorWorkerService: asset('editor.worker', 'js', JS, Buffer.from(bundle.editorWorkerService)),
    json: asset('json.worker', 'js', JS, Buffer.from(bundle.jsonWorker)),
    graphql: asset('graphql.worker', 'js', JS, Buffer.from(bundle.graphqlWorker)),
  };
  return {
    byName: new Map(Object.values(all).map((each) => [each.name, each])),
    script: all.script,
    styles: all.styles,
    favicon: all.favicon,
    start: all.start,
    workers: {
      editorWorkerService: all.editorWorkerService,
      json: all.json,
      graphql: all.graphql,
    },
  };
}

let loading: Promise<GraphiQLAssets> | undefined;

/** The assets, loaded and compressed once per process. */
export function graphiqlAssets(): Promise<GraphiQLAssets> {
  loading ??= loadAssets();
  return loading;
}
