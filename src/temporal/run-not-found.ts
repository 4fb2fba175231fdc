// Whether a Temporal call failed because no run has that workflow id. Most handle methods
// throw WorkflowNotFoundError; fetchHistory passes the service's gRPC NOT_FOUND through as is.
import { isGrpcServiceError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';

const GRPC_NOT_FOUND = 5;

export function isRunNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND);
}
