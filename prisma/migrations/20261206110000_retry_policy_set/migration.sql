-- Whether a deploy gave the version's retry policy: a synchronous invoke retries only then.
-- Versions deployed before stored the defaults merged in, so they count as not given.
ALTER TABLE "FunctionVersion" ADD COLUMN "retryPolicySet" BOOLEAN NOT NULL DEFAULT false;
