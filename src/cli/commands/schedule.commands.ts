// caisson schedule create | update | ls | get | pause | resume | trigger | rm: functions and
// chains run by Temporal Schedules (api: schedules.*).
import type { Command } from 'commander';
import { intFlag } from '../flags.js';
import type { CaissonClient } from '../../client/index.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };
type ScheduleView = Awaited<ReturnType<CaissonClient['schedules']['get']['query']>>;

interface TimingFlags { cron?: string; timezone?: string; every?: string; overlap?: string; catchupWindow?: string }
interface TargetFlags { function?: string; chain?: string; version?: number }

function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`--payload is not JSON: ${text.slice(0, 80)}`);
  }
}

function targetOf(o: TargetFlags, required: boolean) {
  if (o.function && o.chain) throw new Error('give --function or --chain, not both');
  const name = o.function ?? o.chain;
  if (!name) {
    if (required) throw new Error('give --function NAME or --chain NAME');
    return undefined;
  }
  return { kind: o.function ? 'function' as const : 'chain' as const, name, version: o.version ?? 'latest' as const };
}

/** The timing flags the user gave (the api validates each and names the field it refuses). */
function timingOf(o: TimingFlags) {
  return {
    ...(o.cron !== undefined ? { cron: o.cron } : {}), ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
    ...(o.every !== undefined ? { every: o.every } : {}), ...(o.catchupWindow !== undefined ? { catchupWindow: o.catchupWindow } : {}),
    ...(o.overlap !== undefined ? { overlap: o.overlap as 'skip' } : {}),
  };
}

const when = (v: ScheduleView) => (v.cron ? `cron '${v.cron}'${v.timezone ? ` ${v.timezone}` : ''}` : `every ${v.every}`);

export function formatSchedule(v: ScheduleView): string {
  return [
    `${v.name}  ${v.target.kind} ${v.target.name}${v.target.version === 'latest' ? '' : `@${v.target.version}`}  ${when(v)}  overlap ${v.overlap}${v.paused ? '  PAUSED' : ''}`,
    `  payload:   ${JSON.stringify(v.payload)}`,
    `  next runs: ${v.nextRunTimes.slice(0, 3).join(', ') || '-'}`,
    `  fires:     ${v.fires} (${v.running} running)${v.recentRuns.length ? `, last ${v.recentRuns.at(-1)!.startedAt}` : ''}`,
    ...(v.catchupWindow ? [`  catch-up:  ${v.catchupWindow}`] : []),
    ...(v.note ? [`  note:      ${v.note}`] : []),
  ].join('\n');
}

function timingOptions(cmd: Command): Command {
  return cmd
    .option('--cron <expr>', "cron expression, 5 fields or a macro ('*/5 * * * *', @daily)")
    .option('--timezone <tz>', 'IANA time zone of the cron expression (default UTC)')
    .option('--every <interval>', 'fixed interval instead of cron: 30s, 5m, 1h30m')
    .option('--overlap <policy>', 'when a fire is due while the last still runs: skip, buffer-one or allow-all')
    .option('--catchup-window <duration>', 'after an outage, run missed fires at most this late (default: Temporal\'s, 1 year)')
    .option('--function <name>', 'the function to run')
    .option('--chain <name>', 'the chain to run (instead of --function)')
    .option('--version <n>', 'pin a version (default: the latest at each fire)', intFlag)
    .option('--payload <json>', 'the JSON payload of every fire')
    .option('--namespace <ns>', 'namespace', 'default');
}

export function registerScheduleCommands(program: Command, ctx: Ctx): void {
  const schedule = program.command('schedule').description('run functions and chains on a schedule (Temporal Schedules)');

  timingOptions(schedule.command('create <name>').description('create a schedule'))
    .option('--paused', 'create it paused')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const v = await client.schedules.create.mutate({
        namespace: o.namespace, name, target: targetOf(o, true)!, payload: parsePayload(o.payload) ?? null,
        ...timingOf(o), paused: Boolean(o.paused),
      });
      out.print(`created schedule ${v.name}\n${formatSchedule(v)}`, v);
    });

  timingOptions(schedule.command('update <name>').description('change a schedule (flags given replace its settings)'))
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const target = targetOf(o, false);
      const payload = parsePayload(o.payload);
      const v = await client.schedules.update.mutate({
        namespace: o.namespace, name, ...(target ? { target } : {}), ...(payload !== undefined ? { payload } : {}), ...timingOf(o),
      });
      out.print(`updated schedule ${v.name}\n${formatSchedule(v)}`, v);
    });

  schedule.command('ls').description('list schedules with their next run times').option('--namespace <ns>', 'namespace', 'default')
    .action(async (o) => {
      const { client, out } = ctx();
      const items = await client.schedules.list.query({ namespace: o.namespace });
      const lines = items.map((v) => `${v.name}\t${v.target.kind} ${v.target.name}\t${when(v)}\t${v.paused ? 'paused' : `next ${v.nextRunTimes[0] ?? '-'}`}`);
      out.print(lines.join('\n') || '(no schedules)', items);
    });

  schedule.command('get <name>').description('show a schedule').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const v = await client.schedules.get.query({ namespace: o.namespace, name });
      out.print(formatSchedule(v), v);
    });

  for (const [verb, what] of [['pause', 'stop firing until resumed'], ['resume', 'fire again after a pause']] as const) {
    schedule.command(`${verb} <name>`).description(`${verb} a schedule: ${what}`)
      .option('--note <text>', 'why (shown by get and in the Web UI)')
      .option('--namespace <ns>', 'namespace', 'default')
      .action(async (name: string, o) => {
        const { client, out } = ctx();
        const v = await client.schedules[verb].mutate({ namespace: o.namespace, name, note: o.note });
        out.print(`${verb === 'pause' ? 'paused' : 'resumed'} schedule ${name}`, v);
      });
  }

  type ByName = { verb: string; description: string; done: string; run: (client: CaissonClient, ref: { namespace: string; name: string }) => Promise<unknown> };
  const byName = ({ verb, description, done, run }: ByName) =>
    schedule.command(`${verb} <name>`).description(description).option('--namespace <ns>', 'namespace', 'default')
      .action(async (name: string, o) => {
        const { client, out } = ctx();
        out.print(`${done} schedule ${name}`, await run(client, { namespace: o.namespace, name }));
      });
  byName({ verb: 'trigger', description: 'fire a schedule now (an extra fire; its times do not change)', done: 'triggered', run: (c, ref) => c.schedules.trigger.mutate(ref) });
  byName({ verb: 'rm', description: 'delete a schedule (fires already running finish)', done: 'deleted', run: (c, ref) => c.schedules.delete.mutate(ref) });
}
