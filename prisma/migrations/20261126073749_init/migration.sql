-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Function" (
    "id" TEXT NOT NULL,
    "namespace" TEXT NOT NULL DEFAULT 'default',
    "name" TEXT NOT NULL,
    "runtime" TEXT NOT NULL,
    "latestVersion" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "Function_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FunctionVersion" (
    "id" TEXT NOT NULL,
    "functionId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "runtime" TEXT NOT NULL,
    "convention" TEXT NOT NULL,
    "entry" TEXT NOT NULL,
    "artifactSha256" TEXT NOT NULL,
    "artifactFormat" TEXT NOT NULL,
    "artifactName" TEXT,
    "artifactBytes" INTEGER NOT NULL,
    "timeoutMs" INTEGER NOT NULL,
    "memoryMb" INTEGER NOT NULL,
    "cpus" DOUBLE PRECISION NOT NULL,
    "network" BOOLEAN NOT NULL DEFAULT false,
    "env" JSONB NOT NULL,
    "retryPolicy" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FunctionVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "sha256" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "Blob" (
    "id" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Blob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invocation" (
    "id" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "functionName" TEXT NOT NULL,
    "functionId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "idempotencyKey" TEXT,
    "inputHash" TEXT,
    "input" JSONB,
    "inputRef" TEXT,
    "result" JSONB,
    "resultRef" TEXT,
    "errorKind" TEXT,
    "errorMessage" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "attemptLog" JSONB,
    "stdout" TEXT,
    "stderr" TEXT,
    "cold" BOOLEAN,
    "replayOf" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "durationMs" INTEGER,

    CONSTRAINT "Invocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeadLetter" (
    "id" TEXT NOT NULL,
    "invocationId" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "functionName" TEXT NOT NULL,
    "functionId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "input" JSONB,
    "inputRef" TEXT,
    "errors" JSONB NOT NULL,
    "firstAttemptAt" TIMESTAMP(3),
    "failedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayedAs" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeadLetter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Function_namespace_name_key" ON "Function"("namespace", "name");

-- CreateIndex
CREATE INDEX "FunctionVersion_artifactSha256_idx" ON "FunctionVersion"("artifactSha256");

-- CreateIndex
CREATE UNIQUE INDEX "FunctionVersion_functionId_version_key" ON "FunctionVersion"("functionId", "version");

-- CreateIndex
CREATE INDEX "Invocation_functionName_createdAt_idx" ON "Invocation"("functionName", "createdAt");

-- CreateIndex
CREATE INDEX "Invocation_status_createdAt_idx" ON "Invocation"("status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Invocation_namespace_idempotencyKey_key" ON "Invocation"("namespace", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "DeadLetter_invocationId_key" ON "DeadLetter"("invocationId");

-- CreateIndex
CREATE INDEX "DeadLetter_functionName_createdAt_idx" ON "DeadLetter"("functionName", "createdAt");

-- AddForeignKey
ALTER TABLE "FunctionVersion" ADD CONSTRAINT "FunctionVersion_functionId_fkey" FOREIGN KEY ("functionId") REFERENCES "Function"("id") ON DELETE CASCADE ON UPDATE CASCADE;

