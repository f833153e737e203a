// Human output: aligned tables and the small formatters the tables use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellText, formatTable } from '../../cli/table';
import { formatTtr, shortTime } from '../../cli/incident-rows';

test('columns are padded to their widest cell, with no trailing spaces', () => {
  const table = formatTable(
    ['NAME', 'STATUS', 'PIDS'],
    [
      ['localize-api', 'online', '101,102'],
      ['db', 'absent', null],
    ],
  );
  assert.equal(table, ['NAME          STATUS  PIDS', 'localize-api  online  101,102', 'db            absent  -'].join('\n'));
});

test('a header wider than its cells sets the width', () => {
  assert.equal(formatTable(['SEVERITY', 'X'], [['low', 1]]), 'SEVERITY  X\nlow       1');
});

test('missing values show as a dash, numbers and booleans as text', () => {
  assert.equal(cellText(null), '-');
  assert.equal(cellText(undefined), '-');
  assert.equal(cellText(''), '-');
  assert.equal(cellText(0), '0');
  assert.equal(cellText(false), 'false');
});

test('a table with no rows is its header', () => {
  assert.equal(formatTable(['A', 'B'], []), 'A  B');
});

test('time to recovery reads naturally at every scale', () => {
  assert.equal(formatTtr(null), null);
  assert.equal(formatTtr(4.26), '4.3s');
  assert.equal(formatTtr(125.9), '2m05s');
  assert.equal(formatTtr(3 * 3600), '3.0h');
});

test('times are shown to the second', () => {
  assert.equal(shortTime('2025-03-04T05:06:07.890Z'), '2025-03-04T05:06:07Z');
});
