import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { FastifyInstance } from 'fastify';
import type { Hono } from 'hono';
import { createExpressApp, createKoaApp, listen, nodeHandler, type Framework } from './apps.js';
import { createFastifyApp, createHonoApp } from './apps-more.js';
import { ClientProcess } from './client.js';
import type { SectionEnv } from './contenders.js';
import { startBassmasterServer } from './peers.js';
import { SCENARIOS, type ScenarioId } from './scenarios.js';

export interface RunningEnv extends SectionEnv {
  close(): Promise<void>;
}

/**
 * This process as the server: a fresh app for one scenario (its `batch()` options differ
 * per scenario), listening on 127.0.0.1, the hapi/bassmaster server when asked, and a
 * client process of its own.
 */
export async function startEnv(framework: Framework, scenarioId: ScenarioId, withHapi: boolean): Promise<RunningEnv> {
  const scenario = SCENARIOS[scenarioId];
  let handler: RequestListener;
  let fastify: FastifyInstance | undefined;
  let hono: Hono | undefined;
  if (framework === 'fastify') {
    const app = await createFastifyApp(scenario.batchOptions);
    fastify = app;
    // The server's own listener: what Fastify's server calls (serverFactory).
    handler = (req, res) => app.routing(req, res);
  } else if (framework === 'hono') {
    const app = createHonoApp(scenario.batchOptions);
    hono = app;
    const listener = getRequestListener(app.fetch);
    handler = (req, res) => void listener(req, res);
  } else {
    const app = framework === 'express' ? createExpressApp(scenario.batchOptions) : createKoaApp(scenario.batchOptions);
    handler = nodeHandler(framework, app);
  }
  const { server, port } = await listen(handler);
  const hapi = withHapi ? await startBassmasterServer() : undefined;
  const client = ClientProcess.start();
  return {
    framework,
    scenario,
    handler,
    ...(fastify === undefined ? {} : { fastify }),
    ...(hono === undefined ? {} : { hono }),
    port,
    hapiPort: hapi?.port,
    client,
    async close() {
      client.close();
      await hapi?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fastify?.close();
    },
  };
}
