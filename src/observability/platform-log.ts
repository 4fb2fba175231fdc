// Platform logs as structured lines: one JSON object per line (time, level, service, worker id,
// message and fields such as invocationId and function), what log shippers (Loki, Elasticsearch,
// CloudWatch) parse without rules; CAISSON_LOG_FORMAT=text prints `[caisson <service>] message` for people.
// A line is one synchronous write: nothing is buffered, nothing awaited.

export type LogFormat = 'json' | 'text';
export type LogLevel = 'info' | 'warn' | 'error';

export interface PlatformLog {
  /** The plain `(message) => void` the processes take as their log. */
  (message: string): void;
  event(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export function createPlatformLog(opts: {
  service: string; format: LogFormat; fields?: Record<string, unknown>; write?: (line: string) => void;
}): PlatformLog {
  const write = opts.write ?? ((line: string) => void process.stdout.write(line));
  const event = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (opts.format === 'text') {
      const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('');
      return write(`[caisson ${opts.service}]${level === 'info' ? '' : ` ${level}:`} ${message}${extra}\n`);
    }
    write(`${JSON.stringify({ time: new Date().toISOString(), level, service: opts.service, ...opts.fields, msg: message, ...fields })}\n`);
  };
  return Object.assign((message: string) => event('info', message), { event });
}
