import { defineConfig, str } from '@keywatch/config';

/** The ingest worker's settings (engine variables plus its own); documented in the README. */
export const ingestConfig = defineConfig({
  /** Consumer group; every instance of the worker joins it and they split the partitions. Default `keywatch-ingest`. */
  INGEST_GROUP_ID: str({ default: 'keywatch-ingest' }),
});
