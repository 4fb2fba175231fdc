// Convention names as plain constants, without zod: the CLI's client commands print them in
// their help, and loading a schema library for that would slow every command. (Runtime names
// live in runtimes.ts, which has no zod either.)
export const CONVENTIONS = ['script', 'handler', 'lambda', 'openwhisk', 'openfaas'] as const;
