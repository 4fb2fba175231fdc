// Every patched() id the workflows use: one register, so a newcomer sees what each old branch
// still does and when it may go. A patch's old branch serves histories recorded before it;
// once no such run can be open (the longest invocation is 15 min, a chain's runs end when its
// steps do, and a deploy after the release drains them), the id moves to deprecatePatch() for
// one release and is then removed with its old branch.
export const PATCHES = {
  /** Old: a chain step's finish recorded in an activity of its own, the outcome once every child closed. New: it rides with the next step's start. */
  chainRecordsMerged: 'chain-records-merged',
  /** Old: the chain awaited the step-started record before starting the children. New: they overlap. */
  overlapStepStarted: 'overlap-step-started',
  /** Old: pullImage as a local activity, then createContainer on the host queue. New: one local createContainer that pulls as needed. */
  localCreateContainer: 'local-create-container',
  /** Old (within warmLocalHandover's old branch): no warmEnabled probe before an ordinary warm activity. */
  warmEnabledProbe: 'warm-enabled-probe',
  /** Old: short warm attempts local, longer ones an ordinary activity. New: every warm attempt local, handed over to awaitWarm after 1 s. */
  warmLocalHandover: 'warm-local-handover',
  /** Old: a chain step's parent learnt of its success when the child workflow closed. New: a signal as soon as the result is known. */
  childSucceededSignal: 'child-succeeded-signal',
  /** Old: a failed attempt showed only as a completed activity, and no CaissonOutcome / CaissonStart. New: a failing recordFailedAttempt activity per failed attempt, and both search attributes set with the outcome. */
  outcomeVisibility: 'outcome-visibility',
  /** Old: a chain's function step started when the one before had succeeded and the chain had built its input. New: it is started ahead and waits; the step before hands its input over (chain-handoff.ts). */
  stepHandOff: 'step-hand-off',
  /** Old: no callbacks. New: an invocation whose input has a callback (/async-function with X-Callback-Url) runs deliverCallback once its outcome is recorded. Only such runs call it. */
  httpCallback: 'http-callback',
} as const;
