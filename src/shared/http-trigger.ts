// A version's HTTP trigger settings: who may call /function/<name> (a key allowed to invoke in
// the namespace, or anyone), how many of its invocations run at once through it, and how
// often one client address may call a public function. Stored with the version; an update
// that names none keeps the previous version's.
import { z } from 'zod';

export const HttpTriggerSettingsSchema = z.object({
  /** private: an api key that may invoke in the namespace; public: no key (rate limited per client). */
  access: z.enum(['private', 'public']).default('private'),
  /** Invocations of the function running at once through its URLs (across api processes); absent: no limit but the namespace's quota. */
  maxConcurrency: z.number().int().min(1).max(10_000).optional(),
  /** Requests waiting for a slot beyond maxConcurrency; past it: 429 at once. */
  maxQueued: z.number().int().min(0).max(10_000).default(32),
  /** Public functions: requests per second per client address (burst: one second's worth); absent: no limit. */
  rateLimitPerS: z.number().positive().max(100_000).optional(),
});
export type HttpTriggerSettings = z.infer<typeof HttpTriggerSettingsSchema>;
export const DEFAULT_HTTP_TRIGGER: HttpTriggerSettings = HttpTriggerSettingsSchema.parse({});

/** What a deploy may say of them: each field optional (absent: the previous version's); null clears a limit. */
export const HttpTriggerInputSchema = z.strictObject({
  access: HttpTriggerSettingsSchema.shape.access.unwrap().optional(),
  maxConcurrency: HttpTriggerSettingsSchema.shape.maxConcurrency.unwrap().nullable().optional(),
  maxQueued: HttpTriggerSettingsSchema.shape.maxQueued.unwrap().optional(),
  rateLimitPerS: HttpTriggerSettingsSchema.shape.rateLimitPerS.unwrap().nullable().optional(),
});
export type HttpTriggerInput = z.infer<typeof HttpTriggerInputSchema>;

/** The version's settings: the previous version's, then what the deploy gave (null removes a limit). */
export function mergeHttpTrigger(previous: HttpTriggerSettings | undefined, input: HttpTriggerInput | undefined): HttpTriggerSettings {
  const merged: Record<string, unknown> = { ...previous };
  for (const [key, value] of Object.entries(input ?? {})) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return HttpTriggerSettingsSchema.parse(merged);
}
