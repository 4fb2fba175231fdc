-- Runtime versions (src/shared/runtimes.ts): a version stores the concrete runtime it runs on.
-- A bare family stored before versions existed meant Python 3.11 / Node.js 18, the images
-- those versions were deployed on and keep running on.
UPDATE "FunctionVersion" SET "runtime" = 'python3.11' WHERE "runtime" = 'python';
UPDATE "FunctionVersion" SET "runtime" = 'nodejs18' WHERE "runtime" = 'node';
UPDATE "Function" SET "runtime" = 'python3.11' WHERE "runtime" = 'python';
UPDATE "Function" SET "runtime" = 'nodejs18' WHERE "runtime" = 'node';
