/** Events the gateway publishes, by topic. Payloads are plain JSON so any bus can carry them. */
import type { ReferenceType } from './refs.js';
import type { RunEventNotice, RunUpdatedNotice } from './runs.js';

export type ReferenceUpdateKind = 'CREATED' | 'COMMITTED' | 'MERGED' | 'ASSIGNED' | 'DELETED';

export interface ReferenceUpdateEvent {
  name: string;
  type: ReferenceType;
  kind: ReferenceUpdateKind;
  previousHash: string | null;
  hash: string | null;
  at: string;
}

export interface Topics {
  referenceUpdated: ReferenceUpdateEvent;
  /** A run event is durable in the run store (subscribers read it from there, by seq). */
  runEvent: RunEventNotice;
  runUpdated: RunUpdatedNotice;
  /** A mart was (re)published with new rows or columns; subscribers read it from the mart store. */
  martUpdated: MartUpdatedNotice;
}

export interface MartUpdatedNotice {
  name: string;
}

export type Topic = keyof Topics;
