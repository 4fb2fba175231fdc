// Which namespace an id-addressed object is in: its record first, then (for a run whose record
// is not written yet, or a deployment, which has none) the run's CaissonNamespace attribute.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Repositories } from '../../db/index.js';
import { CaissonNamespace } from '../../temporal/search-attributes.js';

export type OwnedKind = 'invocation' | 'chain invocation' | 'dead letter' | 'deployment' | 'api key';

export type OwnerLookup = (kind: OwnedKind, id: string) => Promise<string | null>;

export function createOwnerLookup(deps: { db: Pick<Repositories, 'owners'>; temporal: Client }): OwnerLookup {
  const { owners } = deps.db;
  async function ofRun(id: string): Promise<string | null> {
    try {
      const description = await deps.temporal.workflow.getHandle(id).describe();
      return description.typedSearchAttributes.get(CaissonNamespace) ?? null;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }
  return async (kind, id) => {
    switch (kind) {
      case 'invocation':
        // invocations.get answers chain invocations too (they share the inv_ ids).
        return (await owners.invocation(id)) ?? (await owners.chainInvocation(id)) ?? ofRun(id);
      case 'chain invocation':
        return (await owners.chainInvocation(id)) ?? ofRun(id);
      case 'dead letter':
        return owners.deadLetter(id);
      case 'deployment':
        return ofRun(id);
      case 'api key':
        return owners.apiKey(id);
    }
  };
}
