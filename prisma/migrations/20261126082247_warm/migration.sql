-- AlterTable
ALTER TABLE "FunctionVersion" ADD COLUMN     "warm" JSONB;
