// Task-queue names. The control queue is served by the api process (activities that
// touch the database); the data queue by every worker; each worker also serves its own
// host-specific queue, so all container steps of one attempt run next to its Docker engine.

export const controlTaskQueue = (base: string): string => `${base}-control`;
export const dataTaskQueue = (base: string): string => `${base}-data`;
export const hostTaskQueue = (base: string, workerId: string): string => `${base}-host-${workerId}`;
