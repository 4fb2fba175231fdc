// Who called an invocation, as its record names it: an api key (its id, and its name when it
// called), or nobody for a public function's anonymous call; with the client address when the
// call came through an HTTP trigger. Schedules, replays and chains' steps name none.
export type InvocationCaller =
  | { kind: 'key'; keyId: string; keyName: string; address?: string }
  | { kind: 'anonymous'; address: string };

/** The caller the record's columns describe (null: not recorded). */
export function callerOf(row: { callerKeyId: string | null; callerKeyName: string | null; callerAddress: string | null }): InvocationCaller | null {
  if (row.callerKeyId !== null) {
    return { kind: 'key', keyId: row.callerKeyId, keyName: row.callerKeyName ?? '', ...(row.callerAddress !== null ? { address: row.callerAddress } : {}) };
  }
  return row.callerAddress !== null ? { kind: 'anonymous', address: row.callerAddress } : null;
}

/** The record's columns for a caller. */
export function callerColumns(caller: InvocationCaller | undefined): { callerKeyId: string | null; callerKeyName: string | null; callerAddress: string | null } {
  if (!caller) return { callerKeyId: null, callerKeyName: null, callerAddress: null };
  return caller.kind === 'key'
    ? { callerKeyId: caller.keyId, callerKeyName: caller.keyName, callerAddress: caller.address ?? null }
    : { callerKeyId: null, callerKeyName: null, callerAddress: caller.address };
}
