// docs/reference/api.md from the router itself (src/api/routers/_app.ts): every procedure, the
// permission it needs and so the roles that may call it, its input fields (type, limits,
// default, meaning) from its zod schema, and the error codes the api answers.
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { z } from 'zod';
import { toTRPCError } from '../../src/api/errors.js';
import type { ProcedureMeta } from '../../src/api/trpc.js';
import { AppError, ERROR_CODES } from '../../src/shared/errors.js';
import { ROLES, roleAllows, type Permission } from '../../src/shared/roles.js';
import { generatedBanner, table } from './markdown.js';

interface JsonSchema {
  type?: string | string[]; enum?: unknown[]; const?: unknown; default?: unknown; description?: string;
  minimum?: number; maximum?: number; exclusiveMinimum?: number; minLength?: number; maxLength?: number; pattern?: string;
  minItems?: number; maxItems?: number; format?: string;
  properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema;
  anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; additionalProperties?: JsonSchema | boolean;
}

interface ProcedureDef { _def: { type: 'query' | 'mutation' | 'subscription'; inputs: z.ZodType[]; meta?: ProcedureMeta } }

const HUGE = 2 ** 52;

function typeOf(s: JsonSchema): string {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' or ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && !s.properties && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `map of ${typeOf(s.additionalProperties)}`;
  }
  if (Array.isArray(s.type)) return s.type.join(' or ');
  return s.type ?? 'any JSON';
}

function limitsOf(s: JsonSchema): string {
  const parts = [
    s.minimum !== undefined && Math.abs(s.minimum) < HUGE ? `≥ ${s.minimum}` : '',
    s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : '',
    s.maximum !== undefined && s.maximum < HUGE ? `≤ ${s.maximum}` : '',
    s.minLength !== undefined && s.minLength > 0 ? `length ≥ ${s.minLength}` : '',
    s.maxLength !== undefined ? `length ≤ ${s.maxLength}` : '',
    s.minItems !== undefined && s.minItems > 0 ? `≥ ${s.minItems} items` : '',
    s.maxItems !== undefined ? `≤ ${s.maxItems} items` : '',
    s.pattern ? `\`${s.pattern}\`` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** One row per field, nested objects flattened into dotted paths (limits.timeoutMs). */
function fieldRows(s: JsonSchema, prefix = '', required = true): string[][] {
  if (s.type === 'object' && s.properties) {
    return Object.entries(s.properties).flatMap(([name, field]) => {
      const path = prefix ? `${prefix}.${name}` : name;
      const isRequired = required && (s.required ?? []).includes(name) && field.default === undefined;
      const own = [`\`${path}\``, typeOf(field), isRequired ? 'yes' : '', limitsOf(field),
        field.default === undefined ? '' : `\`${JSON.stringify(field.default)}\``, field.description ?? ''];
      const items = field.type === 'array' ? field.items : undefined;
      const nested = field.type === 'object' && field.properties ? fieldRows(field, path, isRequired)
        : items?.type === 'object' && items.properties ? fieldRows(items, `${path}[]`, isRequired) : [];
      return [own, ...nested];
    });
  }
  return [];
}

function rolesWith(permission: string | null): string {
  if (permission === null) return 'any key';
  return ROLES.filter((r) => roleAllows(r, permission as Permission)).join(', ');
}

function procedureSection(name: string, proc: ProcedureDef): string {
  const { type, inputs, meta } = proc._def;
  const input = inputs[0];
  const schema = input ? (z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : undefined;
  const rows = schema ? fieldRows(schema) : [];
  const call = type === 'query' ? `GET /trpc/${name}?input=<JSON>` : `POST /trpc/${name}`;
  return [
    `### \`${name}\``, '',
    `${type}: \`${call}\`. Roles: ${rolesWith(meta?.permission ?? null)}.`, '',
    rows.length > 0 ? table(['field', 'type', 'required', 'limits', 'default', 'meaning'], rows) : 'No input.', '',
  ].join('\n');
}

function errorTable(): string {
  const rows = ERROR_CODES.map((code) => {
    const trpc = toTRPCError(new AppError(code, 'x', false), () => undefined);
    return [`\`${code}\``, `\`${trpc.code}\``, String(getHTTPStatusCodeFromError(trpc))];
  });
  return table(['caissonCode', 'tRPC code', 'HTTP status'], rows);
}

export function apiReference(router: { _def: { procedures: Record<string, unknown> } }): string {
  const procedures = Object.entries(router._def.procedures) as [string, ProcedureDef][];
  const groups = [...new Set(procedures.map(([n]) => n.split('.')[0]!))];
  const sections = groups.flatMap((g) => [`## ${g}`, '', ...procedures.filter(([n]) => n.startsWith(`${g}.`)).map(([n, p]) => procedureSection(n, p))]);
  return [
    generatedBanner('src/api/routers and src/api/schemas.ts'), '', '# API reference', '',
    'The api is tRPC over HTTP at `/trpc`. The typed client (`createClient` from `caisson/client`) calls',
    'these procedures by name; any HTTP client can too: a query is `GET /trpc/<name>?input=<JSON>`, a',
    'mutation `POST /trpc/<name>` with the JSON input as its body. Every call needs',
    '`Authorization: Bearer <key>` (only `GET /healthz` does not); the roles each procedure allows are named',
    'below (src/shared/roles.ts).', '',
    '## Errors', '',
    'A failed call answers `{"error": {"message", "code", "data": {"code", "httpStatus", "caissonCode",',
    '"details", "issues"}}}`. Bad input is `BAD_REQUEST` whose message names each field and why',
    '(`limits.timeoutMs: Too big: expected number to be <=900000`), with `issues` listing them. A missing or',
    'unknown key is `UNAUTHORIZED`; a key whose role or namespace does not reach the object is `FORBIDDEN`',
    '(or `NOT_FOUND`: an object of another namespace is never revealed).', '',
    errorTable(), '',
    ...sections,
  ].join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
