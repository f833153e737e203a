// reports/drills.json: when and where the drills ran, every run, and the summaries per drill and per class
// against the acceptance targets.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { summariseClasses, summariseDrill, type ClassSummary, type DrillSummary } from './summary';
import type { DrillRun, DrillSpec } from './types';

export interface DrillReport {
  startedAt: string;
  endedAt: string;
  machine: { cpus: number; node: string; platform: string; loadavg: number[] };
  options: { runs: number | null; names: string[]; baselineLimitSeconds: number };
  drills: Array<Pick<DrillSpec, 'id' | 'family' | 'kind' | 'class' | 'injects' | 'passRule' | 'tuning' | 'targetSeconds'>>;
  runs: DrillRun[];
  summary: { drills: DrillSummary[]; classes: ClassSummary[]; passed: boolean };
}

export function buildReport(
  specs: DrillSpec[],
  runs: DrillRun[],
  meta: { startedAt: Date; endedAt: Date; runs: number | null; names: string[]; baselineLimitSeconds: number },
): DrillReport {
  const drills = specs.map((s) => summariseDrill(s, runs)).filter((s) => s.runs > 0);
  return {
    startedAt: meta.startedAt.toISOString(),
    endedAt: meta.endedAt.toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, loadavg: os.loadavg() },
    options: { runs: meta.runs, names: meta.names, baselineLimitSeconds: meta.baselineLimitSeconds },
    drills: specs.map(({ id, family, kind, class: cls, injects, passRule, tuning, targetSeconds }) => ({ id, family, kind, class: cls, injects, passRule, tuning, targetSeconds })),
    runs,
    summary: { drills, classes: summariseClasses(specs, runs), passed: drills.length > 0 && drills.every((d) => d.passed) },
  };
}

export async function writeReport(report: DrillReport, file = path.join('reports', 'drills.json')): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
