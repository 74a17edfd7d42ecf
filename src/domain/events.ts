/** Events the gateway publishes, by topic. Payloads are plain JSON so any bus can carry them. */
import type { ReferenceType } from './refs.js';

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
}

export type Topic = keyof Topics;
