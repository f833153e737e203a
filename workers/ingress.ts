// Entry point: the stateless HTTP ingress (webhooks in, incidents started or joined).
import { loadConfig } from '../config/load';
import { runPart } from './run-part';

void runPart('ingress', loadConfig(), { worker: false, ingress: true, sentinel: false, demo: false });
