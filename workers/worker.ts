// Entry point: one incident worker (scale by running more). Needs TEMPORAL_ADDRESS and the PM2 daemon
// of the configured services (PM2_HOME). Serves its incident metrics on GET /metrics at config `metrics`
// (ZT_METRICS_PORT, default 0.0.0.0:9464) and the SDK's temporal_* metrics at ZT_TEMPORAL_METRICS_ADDRESS.
import { loadConfig } from '../config/load';
import { runPart } from './run-part';

void runPart('worker', loadConfig(), { worker: true, ingress: false, sentinel: false, demo: false });
