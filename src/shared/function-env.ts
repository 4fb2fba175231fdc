// What a function version's own environment may hold. The platform sets CAISSON_* and
// FUNCTION_PAYLOAD in every container (activities/container-env.ts) and a container's whole
// environment must fit what the engine and exec accept, so both are checked at deploy.

export const MAX_ENV_VARS = 256;
/** Names and values together, as `NAME=value` strings. */
export const MAX_ENV_BYTES = 64 * 1024;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const utf8 = new TextEncoder();
const byteLength = (s: string) => utf8.encode(s).length;

export function isReservedEnvName(name: string): boolean {
  return name.startsWith('CAISSON_') || name === 'FUNCTION_PAYLOAD';
}

export interface EnvProblem {
  /** The variable at fault; absent when the whole env is (too many, too large). */
  name?: string;
  message: string;
}

/** Every problem of this env, at most `max` of them (100,000 bad names need not be listed). */
export function envProblems(env: Record<string, string>, max = 10): EnvProblem[] {
  const problems: EnvProblem[] = [];
  const names = Object.keys(env);
  if (names.length > MAX_ENV_VARS) problems.push({ message: `${names.length} variables, at most ${MAX_ENV_VARS} are allowed` });
  let bytes = 0;
  for (const name of names) {
    const value = env[name]!;
    bytes += byteLength(name) + 1 + byteLength(value);
    if (problems.length >= max) continue;
    if (!ENV_NAME_PATTERN.test(name)) problems.push({ name, message: 'not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)' });
    else if (isReservedEnvName(name)) problems.push({ name, message: 'reserved: the platform sets CAISSON_* and FUNCTION_PAYLOAD itself' });
    else if (value.includes('\0')) problems.push({ name, message: 'the value contains a NUL byte' });
  }
  if (bytes > MAX_ENV_BYTES) problems.push({ message: `${bytes} bytes in all, at most ${MAX_ENV_BYTES} are allowed` });
  return problems;
}
