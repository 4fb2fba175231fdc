// Prints a TypeScript type as plain structural text: objects, arrays, tuples, unions and
// literals only, with no name that points back into Caisson's sources (which hold Prisma,
// dockerode and Temporal types). Used on tRPC's serialized inputs and outputs, which are
// JSON-shaped, so nothing else should appear; anything else is printed as `unknown` and
// reported, so the generator can refuse it.
import ts from 'typescript';

export interface TypePrinter {
  print(type: ts.Type): string;
  /** Recursive types met while printing: `type Name = …` declarations to emit beside the rest. */
  aliases(): string[];
  /** What could not be printed structurally (empty when the output is faithful). */
  problems: string[];
}

const INDENT = '  ';

export function createTypePrinter(checker: ts.TypeChecker): TypePrinter {
  const inProgress = new Map<ts.Type, { name?: string }>();
  /** Recursive types get a name once, used wherever they appear again. */
  const names = new Map<ts.Type, string>();
  const declared: string[] = [];
  const problems: string[] = [];
  let aliasCount = 0;

  function print(type: ts.Type, depth: number): string {
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
    if (type.isUnion()) return printUnion(type, depth);
    if (f & ts.TypeFlags.Object || type.isIntersection()) return printObjectLike(type, depth);
    problems.push(`cannot print ${checker.typeToString(type)}`);
    return 'unknown';
  }

  function printUnion(type: ts.UnionType, depth: number): string {
    const parts = type.types.map((t) => print(t, depth));
    // `true | false` is how the checker spells boolean inside a union.
    const hasTrue = parts.includes('true');
    const hasFalse = parts.includes('false');
    const rest = parts.filter((p) => !(hasTrue && hasFalse && (p === 'true' || p === 'false')));
    if (hasTrue && hasFalse) rest.unshift('boolean');
    return [...new Set(rest)].map((p) => (p.includes('=>') ? `(${p})` : p)).join(' | ');
  }

  function printObjectLike(type: ts.Type, depth: number): string {
    const named = names.get(type);
    if (named) return named;
    const seen = inProgress.get(type);
    if (seen) {
      if (!seen.name) {
        seen.name = `${checker.isArrayType(type) ? 'JsonArray' : 'JsonObject'}${++aliasCount}`;
        names.set(type, seen.name);
      }
      return seen.name;
    }
    const mark: { name?: string } = {};
    inProgress.set(type, mark);
    const text = printObjectBody(type, depth);
    if (mark.name) {
      // Printed again at the top level, still marked: its own references print its name.
      declared.push(`export type ${mark.name} = ${printObjectBody(type, 0)};`);
    }
    inProgress.delete(type);
    return mark.name ?? text;
  }

  function printObjectBody(type: ts.Type, depth: number): string {
    if (checker.isTupleType(type)) {
      return `[${checker.getTypeArguments(type as ts.TypeReference).map((t) => print(t, depth)).join(', ')}]`;
    }
    if (checker.isArrayType(type)) {
      const elementType = checker.getTypeArguments(type as ts.TypeReference)[0]!;
      const element = print(elementType, depth);
      // `A | B[]` would be A or an array of B: a union element is written Array<A | B>.
      return elementType.isUnion() || elementType.isIntersection() ? `Array<${element}>` : `${element}[]`;
    }
    if (type.getCallSignatures().length > 0) {
      problems.push(`a function type: ${checker.typeToString(type)}`);
      return 'unknown';
    }
    const pad = INDENT.repeat(depth + 1);
    const lines: string[] = [];
    for (const info of checker.getIndexInfosOfType(type)) {
      lines.push(`${pad}[key: ${print(info.keyType, depth + 1)}]: ${print(info.type, depth + 1)};`);
    }
    for (const prop of checker.getPropertiesOfType(type)) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const propType = checker.getTypeOfSymbol(prop);
      const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(prop.name) ? prop.name : JSON.stringify(prop.name);
      lines.push(`${pad}${key}${optional ? '?' : ''}: ${print(propType, depth + 1)};`);
    }
    if (lines.length === 0) return '{}';
    return `{\n${lines.join('\n')}\n${INDENT.repeat(depth)}}`;
  }

  return {
    print: (type) => print(type, 0),
    aliases: () => declared,
    problems,
  };
}
