// Mounts and unmounts the io dirs' tmpfs (and makes prepared containers' fifos) through one
// long-lived shell, so each costs a fork of that small process instead of a fork of this one:
// spawning from the worker (a large process) blocked its event loop at each call, twice per
// cold attempt (docs/performance.md, "Figures behind the code").
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface MountHelper {
  /** Runs the command with these arguments; rejects with its stderr when it fails. */
  run(command: 'mount' | 'umount' | 'mkfifo', args: string[]): Promise<void>;
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

/** Arguments are single-quoted for sh: nothing in them is ever interpreted. */
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export function createMountHelper(): MountHelper {
  let shell: ChildProcessWithoutNullStreams | undefined;
  const pending = new Map<number, Pending>();
  let seq = 0;

  function start(): ChildProcessWithoutNullStreams {
    const sh = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    sh.unref();
    for (const stream of [sh.stdin, sh.stdout, sh.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    // Each command answers one line: "<id> <exit status> <first line of its stderr>".
    createInterface({ input: sh.stdout }).on('line', (line) => {
      const [id, status, ...why] = line.split(' ');
      const p = pending.get(Number(id));
      if (!p) return;
      pending.delete(Number(id));
      if (pending.size === 0) sh.unref(); // idle: it must not keep this process alive
      if (status === '0') p.resolve();
      else p.reject(new Error(why.join(' ') || `exit status ${status}`));
    });
    sh.on('exit', () => {
      shell = undefined;
      for (const p of pending.values()) p.reject(new Error('the mount helper exited'));
      pending.clear();
    });
    sh.stdin.on('error', () => undefined); // 'exit' follows
    return sh;
  }

  return {
    run(command, args) {
      shell ??= start();
      shell.ref(); // a command under way keeps this process alive until it answers
      const id = ++seq;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        const line = `${command} ${args.map(quote).join(' ')}`;
        shell!.stdin.write(`e=$( ${line} 2>&1 >/dev/null ); s=$?; printf '%s %s %s\\n' ${id} $s "$(printf '%s' "$e" | head -n 1)"\n`);
      });
    },
  };
}
