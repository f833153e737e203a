import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../signals/search-attributes';
import type { ProvisionLog } from './log';

type CliTypeName = (typeof SEARCH_ATTRIBUTES)[string];

// Wire values of temporal.api.enums.v1.IndexedValueType (@temporalio/proto is not a direct dependency).
const INDEXED_VALUE_TYPE: Record<CliTypeName, number> = { Keyword: 2, Double: 4 };
const SDK_TYPE: Record<CliTypeName, SearchAttributeType> = {
  Keyword: SearchAttributeType.KEYWORD,
  Double: SearchAttributeType.DOUBLE,
};

/** `--search-attribute Name=Type` for every attribute of the contract. */
export function searchAttributeCliFlags(): string[] {
  return Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
}

/** The same attributes as typed keys for the SDK's dev server; derived from the one map so the two never drift. */
export function searchAttributeKeys() {
  return Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => defineSearchAttributeKey(name, SDK_TYPE[type]));
}

export class SearchAttributeTypeMismatchError extends Error {
  override name = 'SearchAttributeTypeMismatchError';
}

/**
 * Makes sure every contract attribute is registered with its type. Needed beyond the CLI flags because a dev
 * server started on an existing db file keeps the namespace it created first and silently ignores
 * `--search-attribute` for attributes added to the contract since.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: ProvisionLog): Promise<void> {
  const registered = await listCustomSearchAttributes(connection, namespace);
  const missing: Record<string, number> = {};
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    const actual = registered[name];
    if (actual === undefined) missing[name] = INDEXED_VALUE_TYPE[type];
    else if (actual !== INDEXED_VALUE_TYPE[type]) {
      throw new SearchAttributeTypeMismatchError(
        `search attribute ${name} is registered with indexed type ${actual}, expected ${type}; ` +
          'the Temporal db file predates this contract: delete it or remove the attribute',
      );
    }
  }
  const names = Object.keys(missing);
  if (names.length === 0) return;
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  log.info(`registered search attributes the Temporal db did not have yet: ${names.join(', ')}`);
  const after = await listCustomSearchAttributes(connection, namespace);
  const stillMissing = names.filter((name) => after[name] === undefined);
  if (stillMissing.length > 0) throw new Error(`search attributes not listed yet: ${stillMissing.join(', ')}`);
}

export async function listCustomSearchAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.fromEntries(Object.entries(response.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
}
