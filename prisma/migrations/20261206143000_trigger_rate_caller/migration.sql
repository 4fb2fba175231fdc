-- Who called an invocation: the api key (id, name when called) and the HTTP client's address.
ALTER TABLE "Invocation" ADD COLUMN     "callerAddress" TEXT,
ADD COLUMN     "callerKeyId" TEXT,
ADD COLUMN     "callerKeyName" TEXT;

-- CreateTable
CREATE TABLE "TriggerRateBucket" (
    "namespace" TEXT NOT NULL,
    "functionName" TEXT NOT NULL,
    "client" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "atS" DOUBLE PRECISION NOT NULL,
    "fullAtS" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "TriggerRateBucket_pkey" PRIMARY KEY ("namespace","functionName","client")
);

-- CreateIndex
CREATE INDEX "TriggerRateBucket_fullAtS_idx" ON "TriggerRateBucket"("fullAtS");
