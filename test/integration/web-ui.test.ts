// The Web UI is where an operator reads an incident, so it is tested the way they use it: a real hang is
// healed end to end, then headless Chromium (Debian `chromium`, driven by playwright-core) finds the incident
// by its search attributes, opens it and reads its timeline, summary and details. Screenshots go to reports/.
//
// The runner's shared server is headless, so this file runs a dev server of its own with the UI, through the
// same provisioning module, and points its test system at it. A missing Chromium fails the test: never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { injectFault } from '../../demo/faults';
import { startDevServer } from '../../temporal/dev-server';
import type { TemporalEndpoint } from '../../temporal/endpoint';
import { awaitIncidentRun, latestRunId, result } from '../helpers/incidents';
import { eventually, startTestSystem, waitForHealthy, type TestSystem } from '../helpers/system';

const CHROMIUM = '/usr/bin/chromium';
const REPORTS = path.join(__dirname, '..', '..', 'reports');
const UI_TIMEOUT_MS = 30_000;

describe('the Temporal Web UI tells an incident’s story', () => {
  let server: TemporalEndpoint;
  let uiUrl: string;
  let sys: TestSystem;
  let browser: Browser;
  const previousAddress = process.env.TEMPORAL_ADDRESS;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (the Web UI test needs it)`);
    server = await startDevServer({ headless: false, log: { info: () => undefined, warn: (m) => console.warn(m) } });
    uiUrl = server.uiUrl!;
    // testTemporal() provisions through TEMPORAL_ADDRESS; this process's test system uses our UI server.
    process.env.TEMPORAL_ADDRESS = server.address;
    sys = await startTestSystem();
    await sys.startSentinel();
    // CI runs as root, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await sys?.stop();
    if (previousAddress === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = previousAddress;
    await server?.stop();
  });

  test('a healed hang is found by IncidentService and IncidentClass, and its timeline reads step by step', async () => {
    const workflowId = sys.workflowId();
    const previous = await latestRunId(sys.temporal.client, workflowId);
    await injectFault(sys.instanceUrl(1), { fault: 'hang' });
    const handle = await awaitIncidentRun(sys.temporal.client, workflowId, previous);
    const report = await within(`${workflowId} to close`, 120_000, result(handle));
    assert.equal(report.outcome, 'auto-resolved');
    assert.equal(report.class, 'deadlock');
    await waitForHealthy(sys.basePort, 2, 5_000);
    const described = await handle.describe();
    const runId = described.runId;
    // What the ingest set (ingress/ingest.ts); the UI renders the details' Markdown, so compare the words.
    const staticSummary = (await described.staticSummary()) ?? '';
    const staticDetails = ((await described.staticDetails()) ?? '').replace(/\*\*|`/g, '');
    assert.match(staticSummary, new RegExp(`^${reEscape(sys.service)}: `));
    assert.ok(staticDetails.length > 20, 'the incident has static details');

    const query = `IncidentService="${sys.service}" AND IncidentClass="deadlock"`;
    // Visibility is eventually consistent; the UI list does not refresh by itself, so wait before opening it.
    await eventually('the closed incident in visibility', async () => {
      for await (const wf of sys.temporal.client.workflow.list({ query: `${query} AND ExecutionStatus="Completed"` })) {
        if (wf.runId === runId) return true;
      }
      return undefined;
    });

    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    try {
      // The list, filtered by the contract's search attributes.
      await page.goto(workflowsUrl(query));
      const row = page.getByRole('link', { name: workflowId, exact: true });
      await row.first().waitFor();
      assert.equal(await row.count(), 1, 'one incident of this service and class');

      // The same service with another class finds nothing: the filter really is applied.
      const other = await browser.newPage();
      try {
        other.setDefaultTimeout(UI_TIMEOUT_MS);
        await other.goto(workflowsUrl(`IncidentService="${sys.service}" AND IncidentClass="process-crash"`));
        await other.getByText('There are no results for the applied filters.').first().waitFor();
        assert.equal(await other.getByRole('link', { name: workflowId, exact: true }).count(), 0);
      } finally {
        await other.close();
      }

      // Open it; the timeline shows each step as "activityType • summary" — diagnosis' local activities
      // (evidence, the governor's lease, classification) by their type alone; their summaries are in User Metadata below.
      await row.first().click();
      await page.waitForURL(new RegExp(`/workflows/${reEscape(workflowId)}/${runId}/history`));
      await page.getByTestId('workflow-id-heading').filter({ hasText: workflowId }).waitFor();
      const timeline = page.locator('svg text');
      const steps: Array<string | RegExp> = [
        /^diagnoseWitnessedFailure$/,
        /^requestActionLease$/,
        `restartInstances • pm2-restart ${sys.service} pm_id 1`,
        `verifyRecovery • Verify ${sys.service}: health restored`,
        `publishReport • Report ${report.incidentId}: auto-resolved, deadlock`,
      ];
      for (const step of steps) {
        await timeline
          .filter({ hasText: step })
          .first()
          .waitFor()
          .catch(async (err: Error) => {
            throw new Error(`${err.message}\nthe timeline reads: ${(await timeline.allTextContents()).join(' | ')}`);
          });
      }
      // The event table shows the same summaries, and the start event carries the static summary.
      await page.getByText(staticSummary, { exact: true }).first().waitFor();
      await mkdir(REPORTS, { recursive: true });
      await page.screenshot({ path: path.join(REPORTS, 'web-ui-incident.png'), fullPage: false });

      // User Metadata: the static summary and details from the ingest, and every step's summary in order.
      await page.getByTestId('user-metadata-tab').click();
      await page.waitForURL(/\/user-metadata$/);
      // Each is Markdown rendered in an iframe under its heading.
      const rendered = (heading: string) =>
        page.locator(`div:has(> div > h3[data-testid="user-metadata-summary-heading"]:text-is("${heading}")) iframe`).contentFrame().locator('body');
      await rendered('Summary').getByText(staticSummary, { exact: true }).waitFor();
      const details = rendered('Details');
      await details.waitFor();
      await eventually('the static details rendered', async () =>
        normalise(await details.innerText()) === normalise(staticDetails) ? true : undefined, UI_TIMEOUT_MS)
        .catch(async (err: Error) => assert.fail(`${err.message}\nrendered: ${await details.innerText()}\nexpected: ${staticDetails}`));
      // Current details come from the workflow itself (setCurrentDetails), answered by the worker.
      const current = page.locator('div:has(> div.surface-information h3:text-is("Current Details")) > div > section > iframe').contentFrame().locator('body');
      await current.getByText(report.incidentId).waitFor();
      assert.match(normalise(await current.innerText()), /phase closed/);
      await page.getByText(`Verify ${sys.service}: health restored`).first().waitFor();
      const body = await page.locator('body').innerText();
      const events = body.slice(body.indexOf('Events with Metadata'));
      const order = ['Diagnose', 'pm2-restart', 'Verify', 'Report'].map((s) => events.indexOf(`${s} `));
      assert.ok(order.every((i) => i >= 0), `every step listed in User Metadata: ${JSON.stringify(order)}\n${events}`);
      assert.deepEqual([...order].sort((a, b) => a - b), order, 'steps listed in the order they ran');
      await page.screenshot({ path: path.join(REPORTS, 'web-ui-incident-metadata.png'), fullPage: false });
    } catch (err) {
      await mkdir(REPORTS, { recursive: true });
      await page.screenshot({ path: path.join(REPORTS, 'web-ui-failure.png'), fullPage: true }).catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  });

  function workflowsUrl(query: string): string {
    return `${uiUrl}/namespaces/${encodeURIComponent(sys.temporal.namespace)}/workflows?query=${encodeURIComponent(query)}`;
  }
});

/** Fails naming what it waited for, instead of hanging the whole run on an incident that never closes. */
function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
