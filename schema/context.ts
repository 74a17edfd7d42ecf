/** Per-request GraphQL context. */
import type { Logger } from '../src/logger.js';
import type { Services } from '../src/services/index.js';
import type { Actor } from '../src/services/catalog.js';
import type { Loaders } from '../loaders/index.js';

export interface Context {
  requestId: string;
  actor: Actor;
  services: Services;
  loaders: Loaders;
  logger: Logger;
  /** When the query timeout applies: the performance.now() by which the operation must finish (src/util/deadline.ts). */
  deadline?: number;
}
