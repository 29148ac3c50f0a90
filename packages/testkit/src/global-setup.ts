import type { TestProject } from 'vitest/node';
import { provideEngines, type EngineEndpoints } from './engines.js';

declare module 'vitest' {
  export interface ProvidedContext {
    keywatchEngines: EngineEndpoints;
  }
}

/** Vitest global setup of the integration project: engines up once, endpoints handed to every test. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { endpoints, stop } = await provideEngines(process.env, (line) => process.stderr.write(`[testkit] ${line}\n`));
  process.stderr.write(
    `[testkit] engines from ${endpoints.source}: kafka ${endpoints.kafkaBrokers.join(',')}, clickhouse ${endpoints.clickhouseUrl}, redis ${endpoints.redisUrl}\n`,
  );
  project.provide('keywatchEngines', endpoints);
  return stop;
}
