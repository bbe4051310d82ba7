/**
 * A component's grants, read from its manifest entry on the main thread and carried to its
 * workers with the rest of its `GuestSpec`; the worker halves check every call against them.
 */
import { componentVariables } from '../manifest/variables.js';
import type { ComponentConfig } from '../manifest/schema.js';
import type { Grants } from './contract.js';

/** What `config` grants, with its variables rendered from the app's resolved `variables`. */
export function grantsFor(config: ComponentConfig, variables: Map<string, string>): Grants {
  return {
    keyValueStores: config.key_value_stores,
    sqliteDatabases: config.sqlite_databases,
    publishChannels: config.publish_channels,
    enqueueQueues: config.enqueue_queues,
    variables: componentVariables(config.variables, variables),
  };
}
