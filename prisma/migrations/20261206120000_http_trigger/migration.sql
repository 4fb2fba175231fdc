-- A version's HTTP trigger settings (access private|public, maxConcurrency, maxQueued, rateLimitPerS).
-- Versions deployed before have none: private, no limits of their own.
ALTER TABLE "FunctionVersion" ADD COLUMN "httpTrigger" JSONB;
