import { createExpressApp, createKoaApp, listen, nodeHandler, type Framework } from './apps.js';
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
  const app = framework === 'express' ? createExpressApp(scenario.batchOptions) : createKoaApp(scenario.batchOptions);
  const handler = nodeHandler(framework, app);
  const { server, port } = await listen(handler);
  const hapi = withHapi ? await startBassmasterServer() : undefined;
  const client = ClientProcess.start();
  return {
    framework,
    scenario,
    handler,
    port,
    hapiPort: hapi?.port,
    client,
    async close() {
      client.close();
      await hapi?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
