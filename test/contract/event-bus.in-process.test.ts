import { createInProcessEventBus } from '../../src/adapters/event-bus/in-process-event-bus.js';
import { describeEventBusContract } from './event-bus.contract.js';

describeEventBusContract('in-process', { redeliversAfterRestart: false }, async () => ({
  bus: createInProcessEventBus(),
}));
