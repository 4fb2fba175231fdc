import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { createTypePrinter } from '../../../scripts/client/api-types-printer.js';

/** The checker over one in-memory file (and TypeScript's ES2022 lib). */
function typesOf(source: string) {
  const file = 'probe.ts';
  const options: ts.CompilerOptions = { strict: true, lib: ['lib.es2022.d.ts'], types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => (name === file ? ts.createSourceFile(file, source, version) : read(name, version));
  const program = ts.createProgram([file], options, host);
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!);
  return { checker, type: (name: string) => checker.getDeclaredTypeOfSymbol(exports.find((s) => s.name === name)!) };
}

describe('api types printer', () => {
  it('prints objects, optional fields, literals, booleans and arrays of unions as plain types', () => {
    const { checker, type } = typesOf(`
      interface Named { id: string }
      export type T = { name: Named; kind?: 'a' | 'b'; on: boolean; steps: Array<{ x: 1 } | { y: 2 }>; tags: string[]; map: { [k: string]: number } };`);
    const printer = createTypePrinter(checker);
    expect(printer.print(type('T'), 'T')).toBe([
      '{',
      '  name: {',
      '    id: string;',
      '  };',
      '  kind?: undefined | "a" | "b";',
      '  on: boolean;',
      '  steps: Array<{',
      '    x: 1;',
      '  } | {',
      '    y: 2;',
      '  }>;',
      '  tags: string[];',
      '  map: {',
      '    [key: string]: number;',
      '  };',
      '}',
    ].join('\n'));
    expect(printer.problems).toEqual([]);
  });

  it('names a recursive type once and refers to it by name', () => {
    const { checker, type } = typesOf(`export type Tree = { value: number; children: Tree[] };`);
    const printer = createTypePrinter(checker);
    expect(printer.print(type('Tree'), 'Tree')).toBe('JsonObject1');
    expect(printer.aliases()).toEqual(['export type JsonObject1 = {\n  value: number;\n  children: JsonObject1[];\n};']);
  });

  it('writes a type met in several places once, named after the first', () => {
    const { checker, type } = typesOf(`
      type Spec = { cpus: number; memory: number };
      export type A = { limits: Spec }; export type B = { other: Spec };`);
    const counter = createTypePrinter(checker);
    counter.print(type('A'), 'A');
    counter.print(type('B'), 'B');
    const shared = new Set([...counter.seen].filter(([, n]) => n > 1).map(([t]) => t));
    const printer = createTypePrinter(checker, shared);
    expect(printer.print(type('A'), 'A')).toBe('{\n  limits: ALimits;\n}');
    expect(printer.print(type('B'), 'B')).toBe('{\n  other: ALimits;\n}');
    expect(printer.aliases()).toEqual(['export type ALimits = {\n  cpus: number;\n  memory: number;\n};']);
  });

  it('reports what is not a plain data type instead of printing a name of the source', () => {
    const { checker, type } = typesOf(`export type F = { run: () => void };`);
    const printer = createTypePrinter(checker);
    expect(printer.print(type('F'), 'F')).toBe('{\n  run: unknown;\n}');
    expect(printer.problems).toHaveLength(1);
  });
});
