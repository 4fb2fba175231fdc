-- CreateTable
CREATE TABLE "Quota" (
    "namespace" TEXT NOT NULL,
    "concurrentInvocations" INTEGER,
    "invocationsPerMinute" INTEGER,
    "functions" INTEGER,
    "versions" INTEGER,
    "codeBytes" BIGINT,
    "warmContainers" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Quota_pkey" PRIMARY KEY ("namespace")
);

-- CreateIndex
CREATE INDEX "Invocation_namespace_status_idx" ON "Invocation"("namespace", "status");

-- CreateIndex
CREATE INDEX "Invocation_namespace_createdAt_idx" ON "Invocation"("namespace", "createdAt");

-- CreateIndex
CREATE INDEX "ChainInvocation_namespace_status_idx" ON "ChainInvocation"("namespace", "status");

-- CreateIndex
CREATE INDEX "ChainInvocation_namespace_createdAt_idx" ON "ChainInvocation"("namespace", "createdAt");
