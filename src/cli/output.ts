// CLI output: JSON for machines (--json), short text and a spinner for people.
export interface Output {
  json: boolean;
  print(human: string, data: unknown): void;
  spinner(text: string): { stop(): void };
  /** Runs work with a spinner showing `text` until it settles. */
  during<T>(text: string, work: () => Promise<T>): Promise<T>;
  error(message: string, data?: unknown): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    print(human, data) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
    },
    spinner(text) {
      if (json || !process.stderr.isTTY) return { stop() {} };
      const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
      let i = 0;
      const started = Date.now();
      const timer = setInterval(() => {
        process.stderr.write(`\r${frames[i++ % frames.length]} ${text} ${((Date.now() - started) / 1000).toFixed(1)}s`);
      }, 80);
      return { stop() { clearInterval(timer); process.stderr.write('\r\x1b[K'); } };
    },
    async during(text, work) {
      const spin = this.spinner(text);
      try {
        return await work();
      } finally {
        spin.stop();
      }
    },
    error(message, data) {
      if (json) process.stdout.write(`${JSON.stringify({ error: message, ...(data ? { details: data } : {}) }, null, 2)}\n`);
      else process.stderr.write(`error: ${message}\n`);
    },
  };
}
