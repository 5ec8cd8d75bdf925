/**
 * Reads a V8 CPU profile (the `.cpuprofile` format of `node --cpu-prof` and of the
 * inspector's Profiler domain) and says where the time went: per function (self time),
 * per area of the stack (inbatch core files, light-my-request, Express, Node internals,
 * GC), and inclusive time of a few phases of a batch.
 */

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface TimeRow {
  name: string;
  /** Total self time in the profile (ms). */
  ms: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileAnalysis {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  functions: Array<TimeRow & { where: string }>;
  areas: TimeRow[];
  packages: TimeRow[];
  phases: TimeRow[];
  /** Self time by stage of a batch (`STAGES`, in that order), from each sample's whole stack. */
  stages: TimeRow[];
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

/** `…/node_modules/.pnpm/x@1/node_modules/@scope/name/lib/a.js` → `@scope/name`. */
export function packageOf(url: string): string | undefined {
  const at = url.lastIndexOf('/node_modules/');
  if (at === -1) return undefined;
  const parts = url.slice(at + '/node_modules/'.length).split('/');
  const first = parts[0] ?? '';
  return first.startsWith('@') ? `${first}/${parts[1] ?? ''}` : first;
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const pkg = packageOf(url);
  if (pkg !== undefined) return `${pkg}/${url.slice(url.indexOf(pkg) + pkg.length + 1)}`;
  const src = url.indexOf('/packages/');
  if (src !== -1) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

const EXPRESS_FAMILY = new Set([
  'express',
  'router',
  'finalhandler',
  'path-to-regexp',
  'parseurl',
  'send',
  'etag',
  'fresh',
  'content-type',
  'content-disposition',
  'mime-types',
  'mime-db',
  'type-is',
  'media-typer',
  'statuses',
  'encodeurl',
  'escape-html',
  'vary',
  'qs',
  'accepts',
  'negotiator',
  'proxy-addr',
  'on-finished',
  'http-errors',
  'depd',
  'debug',
  'ms',
  'cookie',
  'cookie-signature',
  'range-parser',
  'merge-descriptors',
  'body-parser',
  'raw-body',
  'iconv-lite',
  'bytes',
  'safe-buffer',
  'ee-first',
]);

// @inbatch/core's files, run from the workspace build (`packages/core/dist/…js`, what
// `pnpm bench` loads), from source (`packages/core/src/…ts`, tsx) or installed.
const CORE_FILE = /\/(?:packages\/core|node_modules\/@inbatch\/core)\/(?:src|dist)\/(.+)\.[cm]?[jt]s$/;
const ADAPTER_FILE = /\/(?:packages|node_modules\/@inbatch)\/(?:express|koa|fastify|hono)\/(?:src|dist)\//;

/** The file of @inbatch/core a frame is in, without extension (`engine/execute`), or undefined. */
export function coreFile(url: string): string | undefined {
  return CORE_FILE.exec(url)?.[1];
}

function isAdapter(url: string): boolean {
  return ADAPTER_FILE.test(url);
}

/** The area of the stack a frame belongs to, named for the engine work it guides. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (SPECIAL.has(functionName)) {
    return functionName === '(garbage collector)' ? 'GC' : functionName;
  }
  const file = coreFile(url);
  if (file !== undefined) {
    const names: Record<string, string> = {
      'dialects/multipart-parse': 'inbatch: multipart parser',
      'dialects/multipart': 'inbatch: multipart serializer',
      'policy/headers': 'inbatch: header inheritance/merge',
      'policy/target': 'inbatch: target check (URL)',
      'policy/query': 'inbatch: outer query',
      'dispatch/inject': 'inbatch: dispatcher (inject)',
      scheduler: 'inbatch: scheduler',
      'node/http': 'inbatch: node/http (outer answer)',
      'node/body': 'inbatch: node/body (outer body)',
    };
    if (file.startsWith('dispatch/fast/')) return 'inbatch: dispatcher (fast)';
    return names[file] ?? `inbatch: ${file}`;
  }
  if (isAdapter(url)) return 'inbatch: adapter';
  const pkg = packageOf(url);
  if (pkg === 'light-my-request') {
    if (url.endsWith('/lib/request.js')) return 'light-my-request: Request (fake IncomingMessage)';
    if (url.endsWith('/lib/response.js')) return 'light-my-request: Response (fake ServerResponse)';
    return 'light-my-request: inject/other';
  }
  if (pkg !== undefined && EXPRESS_FAMILY.has(pkg)) return 'Express 5 + router + deps';
  if (pkg !== undefined && (pkg.startsWith('koa') || pkg.startsWith('@koa/'))) return 'Koa + router + deps';
  if (pkg !== undefined) return `package: ${pkg}`;
  if (url.startsWith('node:internal/url') || url === 'node:url') return 'Node: URL parsing';
  if (url.startsWith('node:internal/streams/') || url === 'node:stream') return 'Node: streams';
  if (url.startsWith('node:_http_') || url === 'node:http') return 'Node: http (IncomingMessage/ServerResponse)';
  if (url === 'node:events' || url.startsWith('node:internal/event_target')) return 'Node: events/EventTarget';
  if (url.startsWith('node:internal/abort_controller')) return 'Node: AbortController';
  if (url.startsWith('node:internal/timers') || url === 'node:timers') return 'Node: timers';
  if (url.startsWith('node:internal/process/task_queues')) return 'Node: nextTick/microtask queue';
  if (url.startsWith('node:internal/perf') || url.startsWith('node:internal/async_hooks'))
    return 'Node: async_hooks/perf';
  if (url.startsWith('node:internal/') || url.startsWith('node:'))
    return `Node: ${url.replace(/^node:(internal\/)?/, '')}`;
  if (url === '') return '(native)';
  return `other: ${shortUrl(url)}`;
}

/** Inclusive phases: a sample counts for a phase when a frame on its stack matches. */
const PHASES: ReadonlyArray<{ name: string; match(frame: CallFrame): boolean }> = [
  {
    name: 'light-my-request inject() (sync part: builds Request + Response, calls the app)',
    match: (f) => f.functionName === 'doInject' || (f.functionName === 'inject' && f.url.includes('light-my-request')),
  },
  {
    name: '  light-my-request new Request()',
    match: (f) => f.functionName === 'Request' && f.url.includes('light-my-request'),
  },
  {
    name: '  light-my-request new Response()',
    match: (f) => f.functionName === 'Response' && f.url.includes('light-my-request'),
  },
  {
    name: 'Express app.handle (router + route + res.json)',
    match: (f) => f.functionName === 'handle' && f.url.includes('/express/lib/application.js'),
  },
  {
    name: 'Koa handleRequest (middleware + respond)',
    match: (f) => f.functionName === 'handleRequest' && f.url.includes('/koa/lib/'),
  },
  { name: 'inbatch parseMultipartBatch', match: (f) => f.functionName === 'parseMultipartBatch' },
  { name: 'inbatch prepareOperation (policy, headers, target)', match: (f) => f.functionName === 'prepareOperation' },
  { name: '  inbatch mergeHeaders', match: (f) => f.functionName === 'mergeHeaders' },
  { name: '  inbatch checkTarget (new URL)', match: (f) => f.functionName === 'checkTarget' },
  { name: 'inbatch MultipartWriter.slot (serialize one answer)', match: (f) => f.functionName === 'slot' },
  { name: 'inbatch answerHeaders', match: (f) => f.functionName === 'answerHeaders' },
  { name: 'inbatch collectBody (read the inner answer stream)', match: (f) => f.functionName === 'collectBody' },
  { name: 'GC', match: (f) => f.functionName === '(garbage collector)' },
];

/** The stages of a batch that `pnpm bench` charges time to, in print order. */
export const STAGES = [
  'parse (outer body, dialect parser)',
  'prepare (policy: headers, target, query)',
  'schedule/execute (scheduler, engine)',
  'dispatcher (our req/res objects)',
  'app (framework + route)',
  'adapter (batch() middleware, route match)',
  'serialize (answer writer)',
  'outer HTTP (socket read/write)',
  'GC',
  'other (event loop, microtask queue, V8 internals)',
] as const;
export type Stage = (typeof STAGES)[number];

const [PARSE, PREPARE, EXECUTE, DISPATCHER, APP, ADAPTER, SERIALIZE, OUTER, GC, OTHER] = STAGES;

/** Core files that only help whoever calls them: their time goes to the caller's stage. */
const CORE_HELPERS = new Set(['errors', 'results', 'options', 'http-grammar', 'operation', 'option-names']);

const CORE_STAGES: ReadonlyArray<[prefix: string, stage: Stage]> = [
  ['dispatch/', DISPATCHER],
  ['engine/parse', PARSE],
  ['node/body', PARSE],
  ['content-type', PARSE],
  ['engine/prepare', PREPARE],
  ['engine/context', PREPARE],
  ['policy/', PREPARE],
  ['engine/stream', SERIALIZE],
  ['engine/answers', SERIALIZE],
  ['engine/routes', ADAPTER],
  ['endpoint', ADAPTER],
  ['node/', OUTER],
  ['engine/', EXECUTE],
  ['scheduler', EXECUTE],
  ['tracing', EXECUTE],
  ['jobs/', EXECUTE],
];

// The bench's own apps: the route handlers are the app's work.
const BENCH_APP_FILE = /\/bench\/src\/apps(?:-more)?\.ts$/;
const NODE_OUTER_IO = /^node:(?:_http_|net$|internal\/stream_base_commons|internal\/streams\/)/;

/**
 * The stage a sample belongs to, from its stack (leaf first): the innermost frame that
 * names a stage decides, so Node internals and builtins count for whoever called them
 * (Express's `res.json` → Node's `setHeader` is the app; our response's `end` is the
 * dispatcher). A dialect file (`dialects/json` parses and serializes) counts as parse when
 * a `parse…` function is on the stack, else as serialize. Stacks of Node internals alone
 * (the outer socket's callbacks) are outer HTTP when they touch http/net/streams.
 */
export function stageOf(stack: readonly CallFrame[]): Stage {
  let touchesSocket = false;
  for (let i = 0; i < stack.length; i++) {
    const frame = stack[i] as CallFrame;
    const { url, functionName } = frame;
    if (functionName === '(garbage collector)') return GC;
    if (functionName === '(program)') return OTHER;
    const file = coreFile(url);
    if (file !== undefined) {
      if (CORE_HELPERS.has(file)) continue;
      if (file.startsWith('dialects/')) {
        const parsing = stack.slice(i).some((f) => /^parse/i.test(f.functionName) && coreFile(f.url) !== undefined);
        return parsing ? PARSE : SERIALIZE;
      }
      return CORE_STAGES.find(([prefix]) => file.startsWith(prefix))?.[1] ?? EXECUTE;
    }
    if (isAdapter(url)) return ADAPTER;
    if (BENCH_APP_FILE.test(url)) return APP;
    const pkg = packageOf(url);
    if (pkg === 'light-my-request') return DISPATCHER;
    if (pkg !== undefined && (EXPRESS_FAMILY.has(pkg) || pkg.startsWith('koa') || pkg.startsWith('@koa/'))) return APP;
    if (NODE_OUTER_IO.test(url)) touchesSocket = true;
  }
  return touchesSocket ? OUTER : OTHER;
}

/** Self time (ms) of every node, from the sample timestamps. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length === 0) {
    const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const each = total === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / total;
    for (const node of profile.nodes) self.set(node.id, (node.hitCount ?? 0) * each);
    return self;
  }
  // A sample lasts until the next one (how DevTools attributes time); the last gets the mean.
  const mean = (profile.endTime - profile.startTime) / samples.length;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    const duration = deltas[i + 1] ?? mean;
    self.set(id, (self.get(id) ?? 0) + duration / 1000);
  }
  return self;
}

function rows(map: Map<string, number>, busyMs: number, limit: number): TimeRow[] {
  return [...map.entries()]
    .map(([name, ms]) => ({ name, ms, share: ms / busyMs }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit);
}

export function analyzeProfile(profile: CpuProfile, topFunctions = 30): ProfileAnalysis {
  const self = selfTimes(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  let totalMs = 0;
  let idleMs = 0;
  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    totalMs += ms;
    if (node.callFrame.functionName === '(idle)') idleMs += ms;
  }
  const busyMs = totalMs - idleMs;

  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  const packages = new Map<string, number>();
  const phases = new Map<string, number>();
  const stages = new Map<string, number>();
  const stackOf = (leaf: CpuProfileNode): CallFrame[] => {
    const frames: CallFrame[] = [];
    for (let at: CpuProfileNode | undefined = leaf; at !== undefined;) {
      frames.push(at.callFrame);
      const up = parent.get(at.id);
      at = up === undefined ? undefined : byId.get(up);
    }
    return frames;
  };
  const add = (map: Map<string, number>, key: string, ms: number): void => {
    map.set(key, (map.get(key) ?? 0) + ms);
  };

  for (const node of profile.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (ms === 0 || node.callFrame.functionName === '(idle)') continue;
    const frame = node.callFrame;
    add(functions, `${frame.functionName || '(anonymous)'}\t${shortUrl(frame.url)}:${frame.lineNumber + 1}`, ms);
    // Builtins (JSON.stringify, Buffer.concat…) have no URL: charge them to the nearest caller that has one.
    let owner: CpuProfileNode = node;
    while (owner.callFrame.url === '' && !SPECIAL.has(owner.callFrame.functionName)) {
      const up = parent.get(owner.id);
      const next = up === undefined ? undefined : byId.get(up);
      if (next === undefined || next.callFrame.functionName === '(root)') break;
      owner = next;
    }
    add(areas, areaOf(owner.callFrame), ms);
    add(
      packages,
      packageOf(owner.callFrame.url) ?? (owner.callFrame.url.includes('/packages/') ? '@inbatch/*' : '(node/V8)'),
      ms,
    );
    const seen = new Set<string>();
    for (let at: CpuProfileNode | undefined = node; at !== undefined;) {
      for (const phase of PHASES) if (!seen.has(phase.name) && phase.match(at.callFrame)) seen.add(phase.name);
      const up = parent.get(at.id);
      at = up === undefined ? undefined : byId.get(up);
    }
    for (const name of seen) add(phases, name, ms);
    add(stages, stageOf(stackOf(node)), ms);
  }

  return {
    totalMs,
    idleMs,
    busyMs,
    functions: rows(functions, busyMs, topFunctions).map((row) => {
      const [name, where] = row.name.split('\t');
      return { ...row, name: name ?? '', where: where ?? '' };
    }),
    areas: rows(areas, busyMs, 100),
    packages: rows(packages, busyMs, 100),
    phases: PHASES.map((phase) => ({
      name: phase.name,
      ms: phases.get(phase.name) ?? 0,
      share: (phases.get(phase.name) ?? 0) / busyMs,
    })),
    stages: STAGES.map((name) => ({ name, ms: stages.get(name) ?? 0, share: (stages.get(name) ?? 0) / busyMs })),
  };
}
