// The `caisson` command: parses argv with the command tree (program.ts) and turns any failure
// into one readable line (or a JSON error with --json) and exit code 1. Only cli/ and config/
// read process.env.
import { describeClientError } from '../client/index.js';
import { CliError } from './cli-error.js';
import { createOutput } from './output.js';
import { apiUrl, program } from './program.js';

/** The network error code when the api could not be reached at all (nothing listening, no such host). */
function unreachableReason(err: unknown): string | undefined {
  const codes = /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ETIMEDOUT)\b/;
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string' && codes.test(cause.code)) return cause.code;
  const m = err instanceof Error ? codes.exec(err.message) : null;
  return m?.[1];
}

program.parseAsync().catch((err: unknown) => {
  const out = createOutput(Boolean(program.opts().json));
  const described = describeClientError(err);
  const unreachable = unreachableReason(err);
  if (unreachable) {
    const url = apiUrl();
    out.error(`cannot reach the Caisson api at ${url} (${unreachable}). Start it with \`npm run dev\` (or \`caisson dev\`), `
      + 'or point --api / CAISSON_API_URL at a running one.', { code: 'UNAVAILABLE', url, reason: unreachable });
  } else if (err instanceof CliError) {
    out.error(`${err.code}: ${err.message}`, { code: err.code, message: err.message });
  } else if (described) {
    // A bad input's message already names each field and why (api/trpc.ts).
    out.error(`${described.code}: ${described.message}`, described);
  } else {
    out.error(err instanceof Error ? err.message : String(err));
  }
  process.exit(1);
});
