// Every detector the sentinel knows, one per incident class it watches for. Each factory decides from
// the service's config whether it runs: health, memory, CPU, startup and reboot need only PM2; disk,
// routes, deploy, upstreams, DNS and the load balancer run only when their section is configured.
import type { DetectorFactory } from '../detector';
import { cpuDetector } from './cpu';
import { deployDetector } from './deploy';
import { diskDetector } from './disk';
import { dnsDetector } from './dns';
import { healthDetector } from './health';
import { loadBalancerDetector } from './load-balancer';
import { memoryDetector } from './memory';
import { rebootDetector } from './reboot';
import { routesDetector } from './routes';
import { startupDetector } from './startup';
import { upstreamDetector } from './upstream';

export const DETECTORS: DetectorFactory[] = [
  healthDetector,
  startupDetector,
  memoryDetector,
  cpuDetector,
  diskDetector,
  rebootDetector,
  routesDetector,
  deployDetector,
  upstreamDetector,
  dnsDetector,
  loadBalancerDetector,
];
