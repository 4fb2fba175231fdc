// The typed client (src/client) is declared with src/client/api-types.ts, plain types written
// by scripts/client/generate-api-types.ts, so that its package needs no server type. This
// file makes the typecheck fail when they no longer match AppRouter (a procedure added,
// removed or changed): run `npm run client:types`. Types only; nothing here runs.
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { CaissonInputs, CaissonOutputs } from '../../client/api-types.js';
import type { AppRouter } from './_app.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type ClientInputsMatch = Assert<Same<inferRouterInputs<AppRouter>, CaissonInputs>>;
export type ClientOutputsMatch = Assert<Same<inferRouterOutputs<AppRouter>, CaissonOutputs>>;
