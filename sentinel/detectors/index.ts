// Every detector the sentinel knows. Each factory decides from the service's config whether it runs.
import type { DetectorFactory } from '../detector';
import { healthDetector } from './health';

export const DETECTORS: DetectorFactory[] = [healthDetector];
