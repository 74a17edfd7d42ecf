/** Per-request GraphQL context. */
import type { Logger } from '../src/logger.js';
import type { Services } from '../src/services/index.js';
import type { Actor } from '../src/services/catalog.js';
import type { Loaders } from '../loaders/index.js';

/**
 * What resolvers reach: the use-case services only. Services also carries the raw ports (store,
 * objects, engine, bus) for the app, its tests and scripts; the edge goes through service methods.
 */
export type EdgeServices = Pick<Services, 'catalog' | 'tables' | 'runs' | 'marts'>;

export interface Context {
  requestId: string;
  actor: Actor;
  services: EdgeServices;
  loaders: Loaders;
  logger: Logger;
  /** When the query timeout applies: the performance.now() by which the operation must finish (src/util/deadline.ts). */
  deadline?: number;
}
