// docs/reference/configuration.md from the configuration schema (src/config/env.ts): each
// variable's type and limits and default from the zod schema, its meaning from the comment above
// it in the source (every variable has one: undocumentedVariables() lists any that does not).
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { z } from 'zod';
import { generatedBanner, table } from './markdown.js';

interface SourceEntry { comment: string; computedDefault: string | undefined }

function commentText(raw: string): string {
  return raw.replace(/^\/\*\*?|\*\/$/g, '').split('\n').map((l) => l.replace(/^\s*(\*|\/\/)\s?/, '').trim()).join(' ').trim();
}

/** Per property of `EnvSchema = z.object({...})`: its leading comment, and a default computed at start-up. */
function sourceEntries(file: string): Map<string, SourceEntry> {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const entries = new Map<string, SourceEntry>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText() === 'EnvSchema') {
      const object = findObjectLiteral(node);
      for (const prop of object?.properties ?? []) {
        if (!ts.isPropertyAssignment(prop)) continue;
        const comments = ts.getLeadingCommentRanges(text, prop.getFullStart()) ?? [];
        const own = comments.map((c) => commentText(text.slice(c.pos, c.end))).join(' ');
        const init = prop.initializer.getText();
        const computed = /\.default\(\(\) => (.+)\)$/s.exec(init)?.[1];
        entries.set(prop.name.getText(), { comment: own, computedDefault: computed });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return entries;
}

function findObjectLiteral(node: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (ts.isObjectLiteralExpression(node)) return node;
  return ts.forEachChild(node, findObjectLiteral);
}

interface JsonProp { type?: string; enum?: string[]; default?: unknown; minimum?: number; maximum?: number; exclusiveMinimum?: number; pattern?: string; format?: string }

const MiB = 1024 * 1024;
function showDefault(name: string, p: JsonProp, computed: string | undefined): string {
  if (computed) return `computed: \`${computed}\``;
  if (p.default === undefined) return '(unset)';
  if (typeof p.default === 'number' && /BYTES$/.test(name) && p.default >= MiB && p.default % MiB === 0) return `\`${p.default}\` (${p.default / MiB} MiB)`;
  return `\`${String(p.default)}\``;
}

function showType(p: JsonProp): string {
  if (p.enum) return p.enum.map((v) => `\`${v}\``).join(' | ');
  const bounds = [
    p.minimum !== undefined && Math.abs(p.minimum) < 2 ** 52 ? `≥ ${p.minimum}` : '',
    p.exclusiveMinimum !== undefined ? `> ${p.exclusiveMinimum}` : '',
    p.maximum !== undefined && p.maximum < 2 ** 52 ? `≤ ${p.maximum}` : '',
  ].filter(Boolean).join(', ');
  const kind = p.format === 'uri' ? 'URL' : (p.type ?? 'string');
  return [kind, bounds, p.pattern ? `matching \`${p.pattern}\`` : ''].filter(Boolean).join(', ');
}

export function configReference(schema: z.ZodType, sourceFile: string): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, JsonProp> };
  const entries = sourceEntries(sourceFile);
  const rows = Object.entries(json.properties).map(([name, p]) => {
    const entry = entries.get(name);
    return [`\`${name}\``, showType(p), showDefault(name, p, entry?.computedDefault), entry?.comment ?? ''];
  });
  return [
    generatedBanner('src/config/env.ts'), '', '# Configuration reference', '',
    'Every setting is an environment variable, read once at start by `caisson dev`, `caisson api` and',
    '`caisson worker` (src/config/env.ts). A wrong value stops the process at start with the variable\'s',
    'name and why. The CLI\'s own client commands read only `CAISSON_API_URL` (or `CAISSON_API_HOST` and',
    '`CAISSON_API_PORT`), `CAISSON_API_KEY` and `CAISSON_HOME`.', '',
    table(['variable', 'type', 'default', 'meaning'], rows), '',
  ].join('\n');
}

/** Variables whose meaning is missing (no comment of their own or of their group). */
export function undocumentedVariables(schema: z.ZodType, sourceFile: string): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, JsonProp> };
  const entries = sourceEntries(sourceFile);
  return Object.keys(json.properties).filter((n) => !entries.get(n)?.comment);
}
