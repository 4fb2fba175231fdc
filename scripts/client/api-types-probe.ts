// What scripts/client/generate-api-types.ts reads with the TypeScript checker: the api's
// procedures, and their inputs and serialized outputs as the tRPC client sees them.
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../src/api/routers/_app.js';

export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;
export type Procedures = AppRouter['_def']['record'];
