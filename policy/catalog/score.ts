// How one signature is scored against the facts. Pure arithmetic, shared by classification and tests.
//
// A signature matches when every required item holds and at least one "specific" item holds. Its
// confidence then combines the weights of the items that hold like independent witnesses (noisy-or):
//   support    = 1 - Π (1 - wᵢ)           over items that hold with weight wᵢ > 0
//   confidence = support × Π (1 - |wⱼ|)   over counter-evidence items that hold (weight wⱼ < 0)
// capped at the signature's `confidence.max`. A weight is how sure that fact alone would make you; two
// facts together make you surer than either, never more than certain. Each term is reported with what
// it added, in the order applied (strongest first), so the Web UI shows exactly how the number came about.
import type { FactValue } from './facts';
import type { Signature } from './schema';

export interface Term {
  /** What was seen, in words. */
  text: string;
  /** What this term changed the confidence by; null for a guard that only had to hold. */
  delta: number | null;
  kind: 'specific' | 'supporting' | 'counter' | 'guard' | 'cap';
}

export interface Score {
  confidence: number;
  terms: Term[];
}

const fmt = (n: number) => (n < 0 ? `−${Math.abs(n).toFixed(2)}` : `+${n.toFixed(2)}`);

/** A term as a sentence fragment: "health check timed out in 3 of 3 probes … (+0.80, specific)". */
export function termText(t: Term): string {
  if (t.kind === 'guard' || t.delta === null) return `${t.text} (required)`;
  if (t.kind === 'cap') return `${t.text} (${fmt(t.delta)})`;
  const tag = t.kind === 'specific' ? ', specific' : t.kind === 'counter' ? ', counter-evidence' : '';
  return `${t.text} (${fmt(t.delta)}${tag})`;
}

export function scoreSignature(sig: Signature, fact: (name: string) => FactValue): Score | null {
  const items = sig.evidence.map((item) => {
    const value = fact(item.fact);
    return { item, value, holds: value.holds !== item.absent };
  });
  if (items.some((e) => e.item.required && !e.holds)) return null;
  if (!items.some((e) => e.item.specificity === 'specific' && e.holds)) return null;

  const terms: Term[] = [];
  let confidence = 0;
  const positive = items.filter((e) => e.holds && e.item.weight > 0).sort((a, b) => b.item.weight - a.item.weight);
  for (const e of positive) {
    const delta = (1 - confidence) * e.item.weight;
    confidence += delta;
    terms.push({ text: e.value.detail, delta, kind: e.item.specificity });
  }
  for (const e of items.filter((x) => x.holds && x.item.weight < 0)) {
    const delta = -confidence * Math.abs(e.item.weight);
    confidence += delta;
    terms.push({ text: e.value.detail, delta, kind: 'counter' });
  }
  for (const e of items.filter((x) => x.holds && x.item.required && x.item.weight === 0)) {
    terms.push({ text: e.value.detail, delta: null, kind: 'guard' });
  }
  const max = sig.confidence.max;
  if (confidence > max) {
    terms.push({ text: `confidence capped at ${max.toFixed(2)}${sig.confidence.maxReason ? `: ${sig.confidence.maxReason}` : ''}`, delta: max - confidence, kind: 'cap' });
    confidence = max;
  }
  return { confidence, terms };
}
