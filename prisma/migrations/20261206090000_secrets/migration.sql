-- AlterTable
ALTER TABLE "FunctionVersion" ADD COLUMN     "secrets" JSONB;

-- CreateTable
CREATE TABLE "Secret" (
    "id" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "sealed" BYTEA NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Secret_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Secret_namespace_name_key" ON "Secret"("namespace", "name");
