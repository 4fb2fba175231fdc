// docs/reference/cli.md from the command tree itself (src/cli/program.ts): every command, its
// arguments and options, so the page names exactly what `caisson` accepts.
import type { Command, Option } from 'commander';
import { generatedBanner, table } from './markdown.js';

function argumentsOf(cmd: Command): string {
  return cmd.registeredArguments
    .map((a) => {
      const name = a.name() + (a.variadic ? '...' : '');
      return a.required ? `<${name}>` : `[${name}]`;
    })
    .join(' ');
}

function optionRow(o: Option): string[] {
  const def = o.defaultValue === undefined ? '' : `\`${JSON.stringify(o.defaultValue)}\``;
  return [`\`${o.flags}\``, o.description, def];
}

function commandSection(cmd: Command, path: string[]): string[] {
  const full = [...path, cmd.name()];
  const usage = ['caisson', ...full.slice(1), argumentsOf(cmd), cmd.options.length > 0 ? '[options]' : ''].filter(Boolean).join(' ');
  const parts = [`${'#'.repeat(Math.min(full.length + 1, 4))} \`${full.slice(1).join(' ')}\``, '', cmd.description(), '', '```text', usage, '```'];
  const args = cmd.registeredArguments.filter((a) => a.description);
  if (args.length > 0) parts.push('', table(['argument', 'meaning'], args.map((a) => [`\`${a.name()}\``, a.description])));
  if (cmd.options.length > 0) parts.push('', table(['option', 'meaning', 'default'], cmd.options.map(optionRow)));
  parts.push('');
  return [...parts, ...cmd.commands.flatMap((sub) => commandSection(sub, full))];
}

export function cliReference(program: Command): string {
  const global = table(['option', 'meaning', 'default'], program.options.map(optionRow));
  const index = program.commands.map((c) => `- [\`${c.name()}\`](#${c.name()}): ${c.description()}`);
  return [
    generatedBanner('src/cli/program.ts'), '', '# CLI reference', '',
    '`caisson [global options] <command>`. Every command answers `--help`; with `--json` each prints one JSON',
    'document, and a failure prints `{"error": …, "code": …}` and exits 1.', '',
    '## Global options', '', global, '', '## Commands', '', ...index, '',
    ...program.commands.flatMap((c) => commandSection(c, ['caisson'])),
  ].join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
