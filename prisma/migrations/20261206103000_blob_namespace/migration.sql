-- AlterTable: existing blobs stay unattributed (null), not counted by any namespace's quota.
ALTER TABLE "Blob" ADD COLUMN "namespace" TEXT;

-- AlterTable
ALTER TABLE "Quota" ADD COLUMN "blobBytes" BIGINT;

-- CreateIndex
CREATE INDEX "Blob_namespace_sizeBytes_idx" ON "Blob"("namespace", "sizeBytes");

-- CreateIndex
CREATE INDEX "Blob_createdAt_idx" ON "Blob"("createdAt");
