// Entry point: the sentinel detectors for the configured services (run one per PM2 host).
import { loadConfig } from '../config/load';
import { runPart } from './run-part';

void runPart('sentinel', loadConfig(), { worker: false, ingress: false, sentinel: true, demo: false });
