// Entry point: one incident worker (scale by running more). Needs TEMPORAL_ADDRESS and the PM2 daemon
// of the configured services (PM2_HOME).
import { loadConfig } from '../config/load';
import { runPart } from './run-part';

void runPart('worker', loadConfig(), { worker: true, ingress: false, sentinel: false, demo: false });
