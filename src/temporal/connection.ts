// Temporal client and connection factories. Nothing connects at module load.
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { ClientInterceptors } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFor } from './payload-codec.js';
import { SEARCH_ATTRIBUTE_TYPES } from './search-attributes.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/** codec: the payload codec (payload-codec.ts); every client and worker of one Caisson uses the same. interceptors: tracing's. */
export async function connectClient(target: TemporalTarget, codec: PayloadCodec, interceptors?: ClientInterceptors): Promise<Client> {
  const connection = await Connection.connect({ address: target.address });
  return new Client({ connection, namespace: target.namespace, dataConverter: dataConverterFor(codec), ...(interceptors ? { interceptors } : {}) });
}

export function connectWorker(target: TemporalTarget): Promise<NativeConnection> {
  return NativeConnection.connect({ address: target.address });
}

/** Registers Caisson's search attributes on a server that lacks them (production servers). */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const wanted = SEARCH_ATTRIBUTE_TYPES;
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.fromEntries(
    Object.entries(wanted).filter(([name]) => !(name in (existing.customAttributes ?? {}))),
  );
  if (Object.keys(missing).length === 0) return;
  await client.connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
}
