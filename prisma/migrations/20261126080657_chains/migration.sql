-- CreateTable
CREATE TABLE "Chain" (
    "id" TEXT NOT NULL,
    "namespace" TEXT NOT NULL DEFAULT 'default',
    "name" TEXT NOT NULL,
    "latestVersion" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "Chain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChainVersion" (
    "id" TEXT NOT NULL,
    "chainId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "definition" JSONB NOT NULL,
    "specs" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChainVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChainInvocation" (
    "id" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "chainName" TEXT NOT NULL,
    "chainId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "input" JSONB,
    "inputRef" TEXT,
    "specs" JSONB NOT NULL,
    "result" JSONB,
    "resultRef" TEXT,
    "failedStep" TEXT,
    "errorKind" TEXT,
    "errorMessage" TEXT,
    "runs" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "durationMs" INTEGER,

    CONSTRAINT "ChainInvocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChainStepRun" (
    "id" TEXT NOT NULL,
    "chainInvocationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "functions" JSONB NOT NULL,
    "output" JSONB,
    "outputRef" TEXT,
    "error" JSONB,
    "units" JSONB,
    "run" INTEGER NOT NULL DEFAULT 1,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "durationMs" INTEGER,

    CONSTRAINT "ChainStepRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Chain_namespace_name_key" ON "Chain"("namespace", "name");

-- CreateIndex
CREATE UNIQUE INDEX "ChainVersion_chainId_version_key" ON "ChainVersion"("chainId", "version");

-- CreateIndex
CREATE INDEX "ChainInvocation_chainName_createdAt_idx" ON "ChainInvocation"("chainName", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ChainStepRun_chainInvocationId_name_key" ON "ChainStepRun"("chainInvocationId", "name");

-- AddForeignKey
ALTER TABLE "ChainVersion" ADD CONSTRAINT "ChainVersion_chainId_fkey" FOREIGN KEY ("chainId") REFERENCES "Chain"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChainStepRun" ADD CONSTRAINT "ChainStepRun_chainInvocationId_fkey" FOREIGN KEY ("chainInvocationId") REFERENCES "ChainInvocation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
