// The packages as users get them: every packages/* is built and packed with pnpm, the
// tarballs are installed with npm into a fresh app in the system's temp folder (no
// workspace around it), and that app runs Express, Koa and the client against them over
// real HTTP, and compiles a strict TypeScript consumer with NodeNext and node10
// resolution. publint and attw check each tarball. It installs from the npm registry,
// hence the long timeouts; npm's cache is used (`--prefer-offline`).
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const CONSUMER = new URL('./consumer/', import.meta.url).pathname;
const BIN = join(ROOT, 'node_modules/.bin');
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};

interface Run {
  code: number;
  output: string;
  stdout: string;
}

/**
 * Runs a command; never rejects, so a test can show the output of a failure. npm and pnpm
 * variables of the test runner's own environment are dropped, so the consumer's npm reads
 * only its own configuration.
 */
function run(command: string, args: string[], cwd: string): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm|pnpm)_/i.test(name) || name === 'npm_config_registry'),
  );
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, output: `${stdout}${stderr}`, stdout });
    });
  });
}

/** pnpm as the test runner was started with it (`npm test` runs it through npx), else from PATH. */
function pnpm(args: string[], cwd: string): Promise<Run> {
  const execPath = process.env.npm_execpath;
  return execPath !== undefined && /pnpm/.test(execPath)
    ? run(process.execPath, [execPath, ...args], cwd)
    : run('pnpm', args, cwd);
}

interface Packed {
  name: string;
  tarball: string;
}

/** Packages installed in an app of their own, with their framework (see beforeAll). */
const OWN_APP = new Set(['@inbatch/fastify', '@inbatch/hono']);

const workdir = mkdtempSync(join(tmpdir(), 'inbatch-packaging-'));
const tarballs = join(workdir, 'tarballs');
const app = join(workdir, 'app');
const packed: Packed[] = [];
let install: Run;

function packageDirs(): string[] {
  const packages = join(ROOT, 'packages');
  return readdirSync(packages)
    .map((name) => join(packages, name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .filter(
      (dir) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { private?: boolean }).private !== true,
    );
}

function expectSuccess(result: Run, what: string): void {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.output}`);
}

/** What an installed package of ours must look like: as published, standing alone. */
function expectPublishedShape(dir: string, name: string): void {
  const manifest = readFileSync(join(dir, 'package.json'), 'utf8');
  expect(manifest, name).not.toContain('workspace:');
  expect(manifest, name).not.toContain('inbatch-source');
  expect(manifest, name).not.toContain('src/');
  expect(readFileSync(join(dir, 'LICENSE'), 'utf8'), name).toContain('MIT License');
  const files = readdirSync(dir, { recursive: true }).map(String);
  expect(
    files.filter((file) => file.endsWith('.map')),
    name,
  ).toEqual([]);
  expect(
    files.filter((file) => file.startsWith('src')),
    name,
  ).toEqual([]);
  // npm shows the README alone: a relative link there leads nowhere.
  const relativeLinks = readFileSync(join(dir, 'README.md'), 'utf8').match(/\]\((?!https?:|#)[^)]*\)/g);
  expect(relativeLinks, name).toBeNull();
}

beforeAll(async () => {
  expectSuccess(await pnpm(['run', 'build'], ROOT), 'pnpm run build');
  mkdirSync(tarballs);
  for (const dir of packageDirs()) {
    const result = await pnpm(['pack', '--pack-destination', tarballs], dir);
    expectSuccess(result, `pnpm pack in ${dir}`);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
    const file = `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`;
    packed.push({ name: manifest.name, tarball: join(tarballs, file) });
  }

  mkdirSync(join(app, 'src'), { recursive: true });
  // Fastify itself depends on light-my-request (its inject), whose cookie@2 warns
  // EBADENGINE on Node 20: the Fastify and Hono adapters are installed in an app of their
  // own (below), so this one shows what an Express or Koa user gets.
  const own = Object.fromEntries(
    packed.filter(({ name }) => !OWN_APP.has(name)).map(({ name, tarball }) => [name, `file:${tarball}`]),
  );
  const fromWorkspace = (name: string): string => {
    const range = rootManifest.devDependencies[name];
    if (range === undefined) throw new Error(`the workspace has no devDependency ${name}`);
    return range;
  };
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'inbatch-consumer',
      private: true,
      type: 'module',
      dependencies: {
        ...own,
        express: fromWorkspace('express'),
        koa: fromWorkspace('koa'),
        '@types/express': fromWorkspace('@types/express'),
        '@types/koa': fromWorkspace('@types/koa'),
        '@types/node': fromWorkspace('@types/node'),
        typescript: fromWorkspace('typescript'),
      },
      // Dependencies between our packages resolve to the tarballs, never to the registry.
      overrides: Object.fromEntries(
        packed.filter(({ name }) => !OWN_APP.has(name)).map(({ name }) => [name, `$${name}`]),
      ),
    }),
  );
  for (const file of readdirSync(CONSUMER)) copyFileSync(join(CONSUMER, file), join(app, 'src', file));
  // The declarations are checked with skipLibCheck off, by a consumer that uses every
  // entry point's types (types.ts, which imports neither express nor koa), once per
  // resolution mode. The apps are compiled with NodeNext and run; they set skipLibCheck,
  // as most apps do, because @types/koa does not check against the content-disposition
  // typings it installs — not ours to fix.
  const strict = {
    target: 'ES2022',
    lib: ['ES2023'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    types: ['node'],
    noEmit: true,
  };
  const configs = {
    'tsconfig.nodenext.json': { ...strict, module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false },
    'tsconfig.node10.json': {
      ...strict,
      module: 'ES2022',
      moduleResolution: 'node',
      esModuleInterop: true,
      skipLibCheck: false,
    },
    'tsconfig.apps.json': {
      ...strict,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      skipLibCheck: true,
      noEmit: false,
      outDir: 'out',
    },
  };
  for (const [file, compilerOptions] of Object.entries(configs)) {
    const include = file === 'tsconfig.apps.json' ? ['src/*-app.ts'] : ['src/types.ts'];
    writeFileSync(join(app, file), JSON.stringify({ compilerOptions, include }));
  }
  install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
  expectSuccess(install, 'npm install');
}, 600_000);

afterAll(() => {
  rmSync(workdir, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('include every package of packages/', () => {
    expect(packed.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        '@inbatch/core',
        '@inbatch/express',
        '@inbatch/koa',
        '@inbatch/client',
        '@inbatch/redis',
      ]),
    );
  });

  it('refuse `npm pack`, which would ship workspace: ranges, saying to use pnpm', async () => {
    const core = join(ROOT, 'packages/core');
    const result = await run('npm', ['pack', '--dry-run'], core);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('@inbatch/core: pack and publish with pnpm, not npm');
  });

  it('install with npm on this Node without an engine warning', () => {
    expect(install.output).not.toContain('EBADENGINE');
    expect(existsSync(join(app, 'node_modules/light-my-request')), 'optional peer installed').toBe(false);
  });

  it('carry real version ranges, the published exports, a LICENSE and no source maps', () => {
    for (const { name } of packed.filter((entry) => !OWN_APP.has(entry.name))) {
      expectPublishedShape(join(app, 'node_modules', name), name);
    }
  });

  it('pass publint --strict', { timeout: 120_000 }, async () => {
    for (const { tarball } of packed) {
      const result = await run(join(BIN, 'publint'), ['run', tarball, '--strict'], workdir);
      expect(result.code, result.output).toBe(0);
    }
  });

  it('pass attw (ESM-only, so a require from CommonJS is expected to fail)', { timeout: 120_000 }, async () => {
    for (const { tarball } of packed) {
      const result = await run(join(BIN, 'attw'), [tarball, '--ignore-rules', 'cjs-resolves-to-esm'], workdir);
      expect(result.code, result.output).toBe(0);
    }
  });

  for (const [resolution, config] of [
    ['NodeNext', 'tsconfig.nodenext.json'],
    ['node10 ("moduleResolution": "node")', 'tsconfig.node10.json'],
  ] as const) {
    it(`type-check in a strict TypeScript consumer with ${resolution} resolution`, { timeout: 120_000 }, async () => {
      const result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', config], app);
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    });
  }

  describe('in apps compiled with NodeNext resolution', () => {
    beforeAll(async () => {
      const result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.apps.json'], app);
      expectSuccess(result, 'tsc -p tsconfig.apps.json');
    }, 120_000);

    it('serve a multipart batch on Express sent by the client, and refuse mistakes at mount', async () => {
      const result = await run(process.execPath, ['out/express-app.js'], app);
      expect(result.code, result.output).toBe(0);
      const printed = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(printed.parts).toEqual([
        { status: 200, body: { id: '1' } },
        { status: 201, body: { created: { name: 'x' } } },
      ]);
      expect(printed.withoutLightMyRequest).toMatch(/needs the package light-my-request.*npm install light-my-request/);
      expect(printed.typo).toContain('did you mean "maxOperations"?');
    });

    it('run an async job on the Redis store', async () => {
      const result = await run(process.execPath, ['out/redis-app.js'], app);
      expect(result.code, result.output).toBe(0);
      const printed = JSON.parse(result.stdout) as { submit: number; status: string; responses: unknown[] };
      expect(printed).toMatchObject({ submit: 201, status: 'finished' });
      expect(printed.responses).toEqual([expect.objectContaining({ statusCode: 200, body: '{"id":"7"}' })]);
    });

    it('serve a JSON batch on Koa', async () => {
      const result = await run(process.execPath, ['out/koa-app.js'], app);
      expect(result.code, result.output).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        status: 200,
        body: {
          responses: [
            expect.objectContaining({ id: 'a', status: 200, body: { path: '/first', method: 'GET' } }),
            expect.objectContaining({ id: 'b', status: 200, body: { path: '/second', method: 'DELETE' } }),
          ],
        },
      });
    });
  });
});

describe('the Fastify and Hono adapters, packed', () => {
  const frameworkApp = join(workdir, 'frameworks');
  let installed: Run;
  beforeAll(async () => {
    mkdirSync(frameworkApp, { recursive: true });
    const tarballOf = (name: string): string => `file:${packed.find((entry) => entry.name === name)?.tarball ?? ''}`;
    const fromWorkspace = (name: string): string => rootManifest.devDependencies[name] ?? '*';
    writeFileSync(
      join(frameworkApp, 'package.json'),
      JSON.stringify({
        name: 'inbatch-frameworks-consumer',
        private: true,
        type: 'module',
        dependencies: {
          '@inbatch/core': tarballOf('@inbatch/core'),
          '@inbatch/fastify': tarballOf('@inbatch/fastify'),
          '@inbatch/hono': tarballOf('@inbatch/hono'),
          fastify: fromWorkspace('fastify'),
          hono: fromWorkspace('hono'),
        },
        overrides: { '@inbatch/core': '$@inbatch/core' },
      }),
    );
    writeFileSync(
      join(frameworkApp, 'app.js'),
      `import Fastify from 'fastify';
import { batch as fastifyBatch } from '@inbatch/fastify';
import { Hono } from 'hono';
import { batch as honoBatch } from '@inbatch/hono';
const fastify = Fastify();
await fastify.register(fastifyBatch);
fastify.get('/items/:id', async (request) => ({ id: request.params.id }));
const viaFastify = await fastify.inject({ method: 'POST', url: '/batch', headers: { 'content-type': 'application/json' },
  payload: JSON.stringify({ requests: [{ id: 'a', method: 'GET', url: '/items/1' }] }) });
const hono = new Hono();
hono.use(honoBatch(hono));
hono.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
const viaHono = await hono.request('/batch', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ requests: [{ id: 'b', method: 'GET', url: '/items/2' }] }) });
console.log(JSON.stringify({ fastify: JSON.parse(viaFastify.body).responses[0], hono: (await viaHono.json()).responses[0] }));
`,
    );
    installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], frameworkApp);
    expectSuccess(installed, 'npm install (frameworks app)');
  }, 600_000);

  it('install, and each serves a JSON batch through its framework', async () => {
    for (const name of OWN_APP) expectPublishedShape(join(frameworkApp, 'node_modules', name), name);
    // Any engine warning comes from the frameworks' own dependencies, never from ours.
    expect(installed.output).not.toMatch(/EBADENGINE[^\n]*@inbatch/);
    const result = await run(process.execPath, ['app.js'], frameworkApp);
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      fastify: expect.objectContaining({ id: 'a', status: 200, body: { id: '1' } }),
      hono: expect.objectContaining({ id: 'b', status: 200, body: { id: '2' } }),
    });
  });
});
