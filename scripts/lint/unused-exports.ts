// Unused exports of src/: an export no other file of the repository imports (src, test, bench,
// scripts, ui) is dead code, or an export keyword too many. Run by `npm run lint`
// (`npm run lint:exports` alone). Built on the TypeScript compiler API (no extra dependency):
// every import and re-export is resolved to the declaration it names; a namespace import,
// `export *`, a dynamic `import()` or an `import('…')` type counts as using every export of
// its module. Entry modules, whose exports are read by something other than an import, are
// listed in ENTRY_MODULES.
import path from 'node:path';
import ts from 'typescript';


/** Modules whose exports are their interface to something other than an import in this repository. */
const ENTRY_MODULES: Record<string, string> = {
  'src/workflows/index.ts': 'the workflow bundle entry: the worker bundles it by path',
  'src/client/index.ts': 'the published client package (packages/client)',
  'src/client/api-types.ts': "generated: the client package's named input and output types",
  'src/api/routers/client-contract.ts': 'type assertions, read by the typechecker',
};

function program(repo: string, tsconfig: string): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(repo, tsconfig), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  });
  if (!config) throw new Error(`cannot read ${tsconfig}`);
  return ts.createProgram({ rootNames: config.fileNames, options: config.options });
}

const own = (file: ts.SourceFile) => !file.isDeclarationFile && !file.fileName.includes('/node_modules/');

/** Declarations named by an import or re-export somewhere, and modules used whole; keyed by "file#name". */
function usages(programs: ts.Program[], rel: (fileName: string) => string): { used: Set<string>; whole: Set<string> } {
  const used = new Set<string>();
  const whole = new Set<string>();
  for (const p of programs) {
    const checker = p.getTypeChecker();
    const moduleFile = (specifier: ts.Expression): string | undefined => {
      const sym = checker.getSymbolAtLocation(specifier);
      const decl = sym?.valueDeclaration ?? sym?.declarations?.[0];
      return decl && ts.isSourceFile(decl) ? rel(decl.fileName) : undefined;
    };
    const markSymbol = (node: ts.Node) => {
      let sym = checker.getSymbolAtLocation(node);
      if (!sym) return;
      if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      for (const d of sym.declarations ?? []) used.add(`${rel(d.getSourceFile().fileName)}#${sym.name}`);
    };
    for (const file of p.getSourceFiles().filter(own)) {
      const visit = (node: ts.Node): void => {
        if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
          const target = moduleFile(node.moduleSpecifier);
          if (ts.isImportDeclaration(node)) {
            const clause = node.importClause;
            if (clause?.name) markSymbol(clause.name);
            const bindings = clause?.namedBindings;
            if (bindings && ts.isNamespaceImport(bindings) && target) whole.add(target);
            if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) markSymbol(e.name);
          } else if (!node.exportClause || ts.isNamespaceExport(node.exportClause)) {
            if (target) whole.add(target);
          } else {
            for (const e of node.exportClause.elements) markSymbol(e.propertyName ?? e.name);
          }
        }
        if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
          const target = moduleFile(node.arguments[0]);
          if (target) whole.add(target);
        }
        if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
          const target = moduleFile(node.argument.literal as ts.Expression);
          if (target) whole.add(target);
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
  }
  return { used, whole };
}

const isDeclaredName = (node: ts.Identifier): boolean => {
  const p = node.parent;
  return (ts.isVariableDeclaration(p) || ts.isFunctionDeclaration(p) || ts.isClassDeclaration(p) || ts.isInterfaceDeclaration(p)
    || ts.isTypeAliasDeclaration(p) || ts.isEnumDeclaration(p) || ts.isModuleDeclaration(p)) && p.name === node;
};

/** Symbols an identifier of the file refers to, other than where they are declared or exported. */
function symbolsUsedIn(file: ts.SourceFile, checker: ts.TypeChecker): Set<ts.Symbol> {
  const found = new Set<ts.Symbol>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !isDeclaredName(node) && !ts.isExportSpecifier(node.parent)) {
      const sym = checker.getSymbolAtLocation(node);
      if (sym) found.add(sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/**
 * `file:line  name` of each export of src/ that nothing imports. tsconfigs: the programs that
 * may import them (the first one holds src/).
 */
export function unusedExports(repo: string, tsconfigs: string[]): string[] {
  const rel = (fileName: string) => path.relative(repo, fileName);
  const programs = tsconfigs.map((c) => program(repo, c));
  const main = programs[0]!;
  const { used, whole } = usages(programs, rel);
  const checker = main.getTypeChecker();
  const found: string[] = [];
  for (const file of main.getSourceFiles().filter(own)) {
    const name = rel(file.fileName);
    if (!name.startsWith('src/') || name.startsWith('src/db/generated/') || ENTRY_MODULES[name] || whole.has(name)) continue;
    const moduleSymbol = checker.getSymbolAtLocation(file);
    if (!moduleSymbol) continue;
    const usedHere = symbolsUsedIn(file, checker);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declared = (target.declarations ?? []).map((d) => `${rel(d.getSourceFile().fileName)}#${target.name}`);
      if (declared.some((key) => used.has(key) || whole.has(key.split('#')[0]!))) continue;
      // Used in its own module (a type of an exported signature, a helper): the export is kept.
      if (usedHere.has(target)) continue;
      const line = file.getLineAndCharacterOfPosition((exported.declarations?.[0] ?? file).getStart()).line + 1;
      found.push(`${name}:${line}  ${exported.name}`);
    }
  }
  return found;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const found = unusedExports(path.resolve(import.meta.dirname, '..', '..'), ['tsconfig.json', 'ui/tsconfig.json']);
  if (found.length > 0) {
    console.error(`${found.length} export(s) of src/ that nothing imports (remove them, or the export keyword):`);
    for (const f of found) console.error(`  ${f}`);
    process.exit(1);
  }
  console.log('unused exports: none in src/');
}
