// The signature catalog as data: the shipped file is valid and covers every class; user files add and
// replace signatures by id; a broken file is refused naming the file, the signature and the field, and
// config loading (what `npm start` runs first) refuses it too.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config/load';
import { PROJECT_ROOT } from '../../config/paths';
import { ACTION_NAMES } from '../../policy/actions';
import { classify } from '../../policy/classify';
import { factReference } from '../../policy/catalog/facts';
import { CatalogError, loadCatalog, parseCatalogFile, SHIPPED_CATALOG } from '../../policy/catalog/load';
import { INCIDENT_CLASSES } from '../../policy/types';
import { alerts, evidence, instance, looks, policy } from '../helpers/evidence';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zt-catalog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: unknown): string {
  const f = path.join(dir, `catalog-${++n}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

const good = {
  id: 'queue-stalled',
  class: 'deadlock',
  scope: 'instance',
  description: 'QueueStalled fires while PM2 says online: the job loop is stuck.',
  evidence: [
    { fact: 'alert:QueueStalled', weight: 0.75, specificity: 'specific', required: true },
    { fact: 'instance.alerted', required: true },
  ],
  severity: { base: 'low' },
  playbook: ['pm2-restart'],
};

/** A signature that differs from `good` in one field; `path` is where the error must point. */
const broken: Array<[string, Record<string, unknown>, RegExp]> = [
  ['unknown class', { class: 'gremlins' }, /signature "queue-stalled" \(signatures\[0\]\): class: /],
  ['unknown fact', { evidence: [{ fact: 'health.tmeout', weight: 0.8, specificity: 'specific' }] }, /evidence\[0\]\.fact: unknown fact "health\.tmeout" \(known: instance\.healthy/],
  ['instance fact in a service signature', { scope: 'service', evidence: [{ fact: 'health.timeout', weight: 0.8, specificity: 'specific' }] }, /evidence\[0\]\.fact: instance fact "health\.timeout" needs scope "instance"/],
  ['outcome fact as evidence', { evidence: [{ fact: 'affected.all', weight: 0.8, specificity: 'specific' }] }, /evidence\[0\]\.fact: outcome fact "affected\.all" is known only after matching/],
  ['instance fact in a rule', { severity: { base: 'low', raise: [{ when: ['cpu.busy'], to: 'medium' }] } }, /severity\.raise\[0\]\.when\[0\]: instance fact "cpu\.busy" cannot be used in a rule/],
  ['unknown class in alert-class:', { evidence: [{ fact: 'alert-class:gremlins', weight: 0.8, specificity: 'specific' }] }, /evidence\[0\]\.fact: "gremlins" is not an incident class/],
  ['unknown risk flag in risk:', { evidence: [{ fact: 'risk:pii', weight: 0.8, specificity: 'specific' }] }, /evidence\[0\]\.fact: "pii" is not a risk flag/],
  ['unknown action', { playbook: ['pm2-restart', 'reboot-host'] }, /playbook\[1\]: /],
  ['unknown action in a playbook rule', { playbookRules: [{ when: ['affected.all'], playbook: ['nuke'] }] }, /playbookRules\[0\]\.playbook\[0\]: /],
  ['weight above 1', { evidence: [{ fact: 'alert:QueueStalled', weight: 1.5, specificity: 'specific' }] }, /evidence\[0\]\.weight: /],
  ['specific item without weight', { evidence: [{ fact: 'alert:QueueStalled', specificity: 'specific' }] }, /evidence\[0\]\.weight: a specific item needs a positive weight/],
  ['no specific item', { evidence: [{ fact: 'alert:QueueStalled', weight: 0.8 }] }, /evidence: needs at least one "specific" item/],
  ['misspelt field', { evidence: [{ fact: 'alert:QueueStalled', weight: 0.8, specificity: 'specific', requird: true }] }, /evidence\[0\]: Unrecognized key.*requird/],
  ['unknown severity', { severity: { base: 'critical' } }, /severity\.base: /],
  ['unknown risk flag', { risk: ['pii'] }, /risk\[0\]: /],
  ['verify-only with a playbook', { outcome: 'verify-only' }, /playbook: a verify-only signature takes no action/],
  ['bad id', { id: 'Queue Stalled' }, /signature "Queue Stalled" \(signatures\[0\]\): id: must be/],
  ['cap above 1', { confidence: { max: 2 } }, /confidence\.max: /],
];

describe('signature catalog: the shipped file', () => {
  const catalog = loadCatalog();

  test('is valid and has at least one signature for each of the thirteen classes', () => {
    for (const cls of INCIDENT_CLASSES) assert.ok(catalog.signatures.some((s) => s.class === cls), `no signature for ${cls}`);
    assert.deepEqual(catalog.files, ['policy/catalog/signatures.json']);
    assert.match(catalog.digest, /^[0-9a-f]{12}$/);
  });

  test('every playbook names actions of the vocabulary, every "act" class has at least one playbook', () => {
    for (const s of catalog.signatures) for (const a of s.playbook) assert.ok((ACTION_NAMES as readonly string[]).includes(a), `${s.id}: ${a}`);
    const acting = new Set(catalog.signatures.filter((s) => s.outcome === 'act' && s.playbook.length).map((s) => s.class));
    for (const cls of INCIDENT_CLASSES.filter((c) => c !== 'upstream-failure' && c !== 'dns-failure')) assert.ok(acting.has(cls), `${cls} has no playbook`);
  });

  test('the signature ids the rest of the system relies on are kept', () => {
    for (const id of ['crash-loop', 'process-stopped', 'crash-recovered-by-pm2', 'event-loop-deadlock', 'health-check-failing', 'online-not-listening']) {
      assert.ok(catalog.signatures.some((s) => s.id === id), id);
    }
  });

  test('docs/catalog.md documents every fact of the vocabulary', () => {
    const doc = readFileSync(path.join(PROJECT_ROOT, 'docs', 'catalog.md'), 'utf8');
    for (const { fact } of factReference()) assert.ok(doc.includes(`\`${fact}\``), `docs/catalog.md does not mention ${fact}`);
  });

  test('the example file in the docs is valid', () => {
    const extended = loadCatalog(['docs/examples/catalog-queue-worker.json']);
    assert.ok(extended.signatures.some((s) => s.id === 'queue-stalled'));
  });
});

describe('signature catalog: user files', () => {
  test('a new signature is added and matches its own alert name, without code', () => {
    const catalog = loadCatalog([file({ signatures: [good] })]);
    assert.equal(catalog.signatures.at(-1)!.id, 'queue-stalled');
    const d = classify(evidence([instance(0, looks.ok), instance(1, looks.ok)], { alerts: alerts({ QueueStalled: null }, { instances: [1] }) }), policy, catalog);
    assert.equal(d.signatureId, 'queue-stalled');
    assert.equal(d.class, 'deadlock');
    assert.deepEqual(d.affectedPmIds, [1]);
    assert.equal(d.confidence, 0.75);
    assert.ok(d.reasons.some((r) => /alert QueueStalled is firing \(\+0\.75, specific\)/i.test(r)), d.reasons.join('\n'));
  });

  test('a signature with a shipped id replaces it, in place', () => {
    const shipped = loadCatalog();
    const at = shipped.signatures.findIndex((s) => s.id === 'online-not-listening');
    const catalog = loadCatalog(['docs/examples/catalog-queue-worker.json']);
    assert.equal(catalog.signatures.length, shipped.signatures.length + 1);
    assert.equal(catalog.signatures[at]!.id, 'online-not-listening');
    assert.equal(catalog.signatures[at]!.confidence.max, 1);
    assert.notEqual(catalog.digest, shipped.digest);
    const refusing = evidence([instance(0, looks.refused), instance(1, looks.ok)], {
      alerts: alerts({ InstanceRefusingConnections: 'unhealthy-health-check' }, { instances: [0] }),
    });
    assert.equal(classify(refusing, policy, shipped).confidence, 0.6);
    assert.equal(classify(refusing, policy, catalog).confidence, 0.8);
  });

  test('later files win, and settings merge key by key', () => {
    const first = file({ settings: { cpuBusyPercent: 50 }, signatures: [good] });
    const second = file({ settings: { ambiguityPenalty: 0.2 }, signatures: [{ ...good, description: 'The second file says it differently.' }] });
    const catalog = loadCatalog([first, second]);
    assert.equal(catalog.settings.cpuBusyPercent, 50);
    assert.equal(catalog.settings.ambiguityPenalty, 0.2);
    assert.equal(catalog.settings.memoryHighMb, 1024);
    assert.equal(catalog.signatures.filter((s) => s.id === 'queue-stalled').length, 1);
    assert.equal(catalog.signatures.find((s) => s.id === 'queue-stalled')!.description, 'The second file says it differently.');
  });

  test('a relative path is read from the project root, wherever the process runs', () => {
    const rel = path.join('.zt', `catalog-test-${process.pid}.json`);
    mkdirSync(path.join(PROJECT_ROOT, '.zt'), { recursive: true });
    writeFileSync(path.join(PROJECT_ROOT, rel), JSON.stringify({ signatures: [good] }));
    try {
      const catalog = loadCatalog([rel]);
      assert.deepEqual(catalog.files, ['policy/catalog/signatures.json', rel]);
    } finally {
      rmSync(path.join(PROJECT_ROOT, rel), { force: true });
    }
  });

  for (const [name, change, message] of broken) {
    test(`refused, naming file, signature and field: ${name}`, () => {
      const f = file({ signatures: [{ ...good, ...change }] });
      assert.throws(
        () => loadCatalog([f]),
        (e: unknown) => e instanceof CatalogError && e.message.startsWith(`catalog file ${f}: `) && message.test(e.message),
      );
    });
  }

  test('every problem of a file is reported at once, each under its signature id', () => {
    const f = file({
      signatures: [
        good,
        { ...good, id: 'b', class: 'x' },
        { ...good, id: 'c', playbook: ['nope'], evidence: [{ fact: 'health.tmeout', weight: 0.8, specificity: 'specific' }] },
      ],
    });
    assert.throws(
      () => loadCatalog([f]),
      (e: unknown) =>
        e instanceof Error &&
        /signature "b" \(signatures\[1\]\): class/.test(e.message) &&
        /signature "c" \(signatures\[2\]\): playbook\[0\]: .*; evidence\[0\]\.fact: unknown fact "health\.tmeout"/.test(e.message),
    );
  });

  test('an id used twice in one file, unknown top-level keys, broken JSON and a missing file are refused', () => {
    assert.throws(() => loadCatalog([file({ signatures: [good, good] })]), /signature "queue-stalled" \(signatures\[1\]\): id "queue-stalled" is already used by signatures\[0\]/);
    assert.throws(() => loadCatalog([file({ signatures: [], sigs: [] })]), /Unrecognized key.*sigs/);
    assert.throws(() => loadCatalog([file({ settings: { ambiguityPenalty: 3 } })]), /settings\.ambiguityPenalty/);
    const json = file('{"signatures": [');
    assert.throws(() => loadCatalog([json]), new RegExp(`catalog file ${json} is not valid JSON`));
    assert.throws(() => loadCatalog(['/nonexistent/catalog.json']), /catalog file \/nonexistent\/catalog\.json cannot be read/);
  });

  test('parseCatalogFile validates contents without I/O', () => {
    assert.equal(parseCatalogFile({ signatures: [good] }, 'inline').signatures[0]!.evidence[0]!.weight, 0.75);
    assert.equal(parseCatalogFile(JSON.parse(readFileSync(SHIPPED_CATALOG, 'utf8')), 'shipped').signatures.length, loadCatalog().signatures.length);
  });
});

describe('signature catalog: start-up', () => {
  test('loadConfig refuses a broken catalog file with the file, signature and field in a ConfigError', () => {
    const f = file({ signatures: [{ ...good, evidence: [{ fact: 'health.tmeout', weight: 0.8, specificity: 'specific' }] }] });
    assert.throws(
      () => loadConfig({ ZT_CONFIG: JSON.stringify({ policy: { catalogFiles: [f] } }) }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes(`invalid config: policy.catalogFiles: catalog file ${f}: signature "queue-stalled" (signatures[0]): evidence[0].fact: unknown fact "health.tmeout"`),
    );
  });

  test('loadConfig accepts a good one', () => {
    const f = file({ signatures: [good] });
    assert.deepEqual(loadConfig({ ZT_CONFIG: JSON.stringify({ policy: { catalogFiles: [f] } }) }).policy.catalogFiles, [f]);
  });
});
