// Prints a TypeScript type as plain structural text: objects, arrays, tuples, unions and
// literals only, with no name that points back into Caisson's sources (which hold Prisma,
// dockerode and Temporal types). Used on tRPC's serialized inputs and outputs, which are
// JSON-shaped, so nothing else should appear; anything else is printed as `unknown` and
// reported, so the generator can refuse it. An object type met more than once (a version
// spec in many answers) is written once, under the name of the first place it appears.
import ts from 'typescript';

export interface TypePrinter {
  /** The type's text; `name` is what the caller declares it as (nested shared types are named after it). */
  print(type: ts.Type, name: string): string;
  /** Shared and recursive types met while printing: `type Name = …` declarations to emit beside the rest. */
  aliases(): string[];
  /** What could not be printed structurally (empty when the output is faithful). */
  problems: string[];
}

const INDENT = '  ';

interface At {
  depth: number;
  /** The name a shared object type met here would get. */
  hint: string;
}

const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _p: string, c: string) => c.toUpperCase());

/** shared: object types to write once (found by a first printer's `seen`); absent: none. */
export function createTypePrinter(checker: ts.TypeChecker, shared: ReadonlySet<ts.Type> = new Set()): TypePrinter & { seen: Map<ts.Type, number> } {
  const inProgress = new Map<ts.Type, { name?: string }>();
  /** Recursive and shared types get a name once, used wherever they appear again. */
  const names = new Map<ts.Type, string>();
  const taken = new Set<string>();
  const declared: string[] = [];
  const problems: string[] = [];
  const seen = new Map<ts.Type, number>();
  const byBody = new Map<string, string>();
  let aliasCount = 0;
  let root: ts.Type | undefined;

  function uniqueName(wanted: string): string {
    let name = wanted;
    for (let i = 2; taken.has(name); i++) name = `${wanted}${i}`;
    taken.add(name);
    return name;
  }

  function print(type: ts.Type, at: At): string {
    const f = type.flags;
    if (f & ts.TypeFlags.Any) return 'any';
    if (f & ts.TypeFlags.Unknown) return 'unknown';
    if (f & ts.TypeFlags.Never) return 'never';
    if (f & ts.TypeFlags.Void) return 'void';
    if (f & ts.TypeFlags.Undefined) return 'undefined';
    if (f & ts.TypeFlags.Null) return 'null';
    if (f & ts.TypeFlags.String) return 'string';
    if (f & ts.TypeFlags.Number) return 'number';
    if (f & ts.TypeFlags.Boolean) return 'boolean';
    if (f & ts.TypeFlags.BigInt) return 'bigint';
    if (f & ts.TypeFlags.BooleanLiteral) return checker.typeToString(type);
    if (type.isStringLiteral()) return JSON.stringify(type.value);
    if (type.isNumberLiteral()) return String(type.value);
    if (f & ts.TypeFlags.TemplateLiteral) return checker.typeToString(type);
    // zod's z.json(): the header's JsonValue (the same type), not a recursive copy per use.
    if (type.aliasSymbol?.name === 'JSONType') return 'JsonValue';
    if (type.isUnion()) return printUnion(type, at);
    if (f & ts.TypeFlags.Object || type.isIntersection()) return printObjectLike(type, at);
    problems.push(`cannot print ${checker.typeToString(type)}`);
    return 'unknown';
  }

  function printUnion(type: ts.UnionType, at: At): string {
    const parts = type.types.map((t) => print(t, at));
    // `true | false` is how the checker spells boolean inside a union.
    const hasTrue = parts.includes('true');
    const hasFalse = parts.includes('false');
    const rest = parts.filter((p) => !(hasTrue && hasFalse && (p === 'true' || p === 'false')));
    if (hasTrue && hasFalse) rest.unshift('boolean');
    return [...new Set(rest)].join(' | ');
  }

  function printObjectLike(type: ts.Type, at: At): string {
    const named = names.get(type);
    if (named) return named;
    const recursing = inProgress.get(type);
    if (recursing) {
      if (!recursing.name) {
        recursing.name = uniqueName(`${checker.isArrayType(type) ? 'JsonArray' : 'JsonObject'}${++aliasCount}`);
        names.set(type, recursing.name);
      }
      return recursing.name;
    }
    seen.set(type, (seen.get(type) ?? 0) + 1);
    if (shared.has(type)) {
      // The declared type itself is the name later uses print; a nested one is declared apart.
      if (type === root) {
        names.set(type, at.hint);
        return printBody(type, at);
      }
      const name = uniqueName(at.hint);
      names.set(type, name);
      const body = printBody(type, { depth: 0, hint: name });
      // Another type object of the same shape (zod and Prisma each spell a retry policy): one name.
      const same = byBody.get(body);
      if (same) {
        names.set(type, same);
        return same;
      }
      byBody.set(body, name);
      declared.push(`export type ${name} = ${body};`);
      return name;
    }
    return printBody(type, at);
  }

  /** Marked while printed: a type that contains itself prints its name there. */
  function printBody(type: ts.Type, at: At): string {
    const mark: { name?: string } = {};
    inProgress.set(type, mark);
    const text = printObjectBody(type, at);
    if (mark.name) {
      // Printed again at the top level, still marked: its own references print its name.
      declared.push(`export type ${mark.name} = ${printObjectBody(type, { depth: 0, hint: mark.name })};`);
    }
    inProgress.delete(type);
    return mark.name ?? text;
  }

  function printObjectBody(type: ts.Type, at: At): string {
    if (checker.isTupleType(type)) {
      return `[${checker.getTypeArguments(type as ts.TypeReference).map((t, i) => print(t, { ...at, hint: `${at.hint}${i}` })).join(', ')}]`;
    }
    if (checker.isArrayType(type)) {
      const elementType = checker.getTypeArguments(type as ts.TypeReference)[0]!;
      const element = print(elementType, { ...at, hint: `${at.hint}Item` });
      // `A | B[]` would be A or an array of B: a union element is written Array<A | B>.
      return elementType.isUnion() || elementType.isIntersection() ? `Array<${element}>` : `${element}[]`;
    }
    if (type.getCallSignatures().length > 0) {
      problems.push(`a function type: ${checker.typeToString(type)}`);
      return 'unknown';
    }
    const pad = INDENT.repeat(at.depth + 1);
    const inner = (hint: string): At => ({ depth: at.depth + 1, hint });
    const lines: string[] = [];
    for (const info of checker.getIndexInfosOfType(type)) {
      lines.push(`${pad}[key: ${print(info.keyType, inner(at.hint))}]: ${print(info.type, inner(`${at.hint}Value`))};`);
    }
    for (const prop of checker.getPropertiesOfType(type)) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(prop.name) ? prop.name : JSON.stringify(prop.name);
      lines.push(`${pad}${key}${optional ? '?' : ''}: ${print(checker.getTypeOfSymbol(prop), inner(`${at.hint}${pascal(prop.name)}`))};`);
    }
    if (lines.length === 0) return '{}';
    return `{\n${lines.join('\n')}\n${INDENT.repeat(at.depth)}}`;
  }

  return {
    print(type, name) {
      root = type;
      taken.add(name);
      return print(type, { depth: 0, hint: name });
    },
    aliases: () => declared,
    problems,
    seen,
  };
}
