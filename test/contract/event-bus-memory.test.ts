import { createMemoryEventBus } from '../../src/adapters/event-bus/memory/index.js';
import { describeEventBus } from './event-bus.contract.js';

describeEventBus('memory', async () => ({ bus: createMemoryEventBus(), cleanup: async () => undefined }));
