// Parsers for numeric flags: a bad value is refused by the CLI, naming the flag
// ("option '--timeout <ms>' argument 'abc' is invalid: not a number"), before any request.
import { InvalidArgumentError } from 'commander';

export function numberFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('not a number');
  return n;
}

export function intFlag(value: string): number {
  const n = numberFlag(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not a whole number');
  return n;
}
