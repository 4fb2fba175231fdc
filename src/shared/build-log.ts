// A deploy's build output as it runs: the bounds every hop applies (worker, api, CLI), and the
// one way a line from a build container is made safe to store and print. Build output is
// hostile: escape sequences could rewrite a terminal, control bytes could hide text, and a
// single "line" could be megabytes.

export const BUILD_LOG_LIMITS = Object.freeze({
  /** Characters kept of one line; the rest is cut and marked. */
  lineChars: 1000,
  /** Lines the worker sends in one request, and the api accepts in one. */
  linesPerBatch: 200,
  /** Largest request body the api reads for one batch. */
  batchBytes: 256 * 1024,
  /** Lines kept per deploy (worker and api); later ones are counted, not kept. */
  linesPerDeployment: 2000,
  /** Longest a reader may wait for new lines in one call. */
  maxWaitMs: 10_000,
});

/** Room for the cut mark: a line is at most lineChars + this long. */
export const CUT_MARK_SLACK = 40;

/** One line as it may be stored and printed: no escape sequence or control byte, at most lineChars. */
// Matching control bytes is the point here.
/* eslint-disable no-control-regex */
export function safeLogLine(line: string): string {
  const plain = line
    // ESC sequences: CSI … final byte, OSC … BEL or ST, and two-byte ones (C1 CSI too).
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]/g, '')
    // Any other C0 or C1 control but tab.
    .replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, '');
  const max = BUILD_LOG_LIMITS.lineChars;
  // The slack keeps a line once cut as it is when cleaned again (by the api after the worker).
  return plain.length > max + CUT_MARK_SLACK ? `${plain.slice(0, max)}… (${plain.length - max} more characters)` : plain;
}
/* eslint-enable no-control-regex */
