import { builder } from './builder.js';
import './scalars.js';
import './device.js';
import './telemetry.js';
import './fleet.js';
import './api-key.js';
import './alert.js';
import './notification.js';
import './retention.js';
import './viewer.js';

export const schema = builder.toSchema({ sortSchema: true });
