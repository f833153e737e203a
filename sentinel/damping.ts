// Flap damping for every detector: a subject alerts when `failures` of its last `samples` observations
// failed, stays quiet for `holdDownMs` after alerting, and resolves once a full window is healthy again.
// Pure, so a single blip provably never opens an incident.
import type { DampingConfig } from '../config/schema';

export interface SubjectState {
  window: boolean[];
  firstFailureAt: number | null;
  alertedAt: number | null;
}

export interface DampingStep {
  state: SubjectState;
  fire: boolean;
  resolve: boolean;
}

export const initialSubjectState = (): SubjectState => ({ window: [], firstFailureAt: null, alertedAt: null });

export function dampen(prev: SubjectState, failing: boolean, now: number, cfg: DampingConfig): DampingStep {
  const window = [...prev.window, failing].slice(-cfg.samples);
  const failures = window.filter(Boolean).length;
  const firstFailureAt = failing ? (prev.firstFailureAt ?? now) : failures === 0 ? null : prev.firstFailureAt;
  const state: SubjectState = { window, firstFailureAt, alertedAt: prev.alertedAt };
  if (failures >= cfg.failures && (prev.alertedAt === null || now - prev.alertedAt >= cfg.holdDownMs)) {
    return { state: { ...state, alertedAt: now }, fire: true, resolve: false };
  }
  if (prev.alertedAt !== null && failures === 0 && window.length >= Math.min(cfg.samples, cfg.failures)) {
    return { state: { ...state, alertedAt: null }, fire: false, resolve: true };
  }
  return { state, fire: false, resolve: false };
}
