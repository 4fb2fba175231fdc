// The runtime and convention names as plain constants, without zod: the CLI's client commands
// print them in their help, and loading a schema library for that would slow every command.
export const RUNTIMES = ['python', 'node', 'go'] as const;
export const CONVENTIONS = ['script', 'handler', 'lambda', 'openwhisk', 'openfaas'] as const;
