import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { describeLiveHubContract } from './live-hub.contract.js';

describeLiveHubContract('in-process', async () => ({ hub: createInProcessLiveHub() }));
