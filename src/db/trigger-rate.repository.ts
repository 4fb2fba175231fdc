// Public functions' rate limits per client address, kept in the database so every api process
// shares them: one token bucket row per (namespace, function, client). A call takes a token with
// one INSERT … ON CONFLICT DO UPDATE, which locks the row, so concurrent calls on any number of
// processes cannot both take the last token. Times are the database's clock (one clock for every
// api host), in epoch seconds. Rows are bounded: at most maxClients per function, and a row whose
// bucket is full again is deleted by the sweep (it says nothing an absent row does not).
import { Prisma, type PrismaClient } from './generated/client.js';

export interface TakeTokenInput {
  namespace: string;
  functionName: string;
  client: string;
  /** Tokens per second; the bucket holds max(1, perS) (one second's worth). */
  perS: number;
  /** Client rows one function may hold; a new client past it is refused. */
  maxClients: number;
}

export type TakeTokenResult =
  | { allowed: true }
  /** tokens: what the client's bucket holds now (< 1); waitS: until it holds one, if nobody else takes any. */
  | { allowed: false; reason: 'rate'; tokens: number; waitS: number }
  /** The function holds maxClients rows already. */
  | { allowed: false; reason: 'clients' };

const NOW_S = Prisma.sql`extract(epoch FROM now())::float8`;

export function createTriggerRateRepository(prisma: PrismaClient) {
  /** The single statement: a row back means a token was taken. */
  async function take(input: TakeTokenInput): Promise<boolean> {
    const { namespace, functionName, client } = input;
    const perS = Prisma.sql`${input.perS}::float8`;
    const cap = Prisma.sql`${Math.max(1, input.perS)}::float8`;
    const refill = Prisma.sql`LEAST(${cap}, b."tokens" + (EXCLUDED."atS" - b."atS") * ${perS})`;
    // A known client skips the count (an uncorrelated subquery is evaluated only when reached);
    // the count stops at maxClients. Two new clients racing past the count can both insert:
    // the bound is maxClients plus the calls in flight at that moment.
    const rows = await prisma.$queryRaw<Array<{ tokens: number }>>`
      INSERT INTO "TriggerRateBucket" AS b ("namespace", "functionName", "client", "tokens", "atS", "fullAtS")
      SELECT ${namespace}, ${functionName}, ${client}, ${cap} - 1, ${NOW_S}, ${NOW_S} + 1 / ${perS}
      WHERE EXISTS (SELECT 1 FROM "TriggerRateBucket" WHERE "namespace" = ${namespace} AND "functionName" = ${functionName} AND "client" = ${client})
        OR (SELECT count(*) FROM (SELECT 1 FROM "TriggerRateBucket" WHERE "namespace" = ${namespace} AND "functionName" = ${functionName}
            LIMIT ${input.maxClients}::int) AS held) < ${input.maxClients}::int
      ON CONFLICT ("namespace", "functionName", "client") DO UPDATE SET
        "tokens" = ${refill} - 1,
        "atS" = EXCLUDED."atS",
        "fullAtS" = EXCLUDED."atS" + (${cap} - (${refill} - 1)) / ${perS}
      WHERE ${refill} >= 1
      RETURNING "tokens"`;
    return rows.length > 0;
  }

  /** What a refused client's bucket holds now; null: it has no row (refused for maxClients). */
  async function tokensNow(input: TakeTokenInput): Promise<number | null> {
    const rows = await prisma.$queryRaw<Array<{ tokens: number }>>`
      SELECT LEAST(${Math.max(1, input.perS)}::float8, "tokens" + (${NOW_S} - "atS") * ${input.perS}::float8) AS "tokens"
      FROM "TriggerRateBucket"
      WHERE "namespace" = ${input.namespace} AND "functionName" = ${input.functionName} AND "client" = ${input.client}`;
    return rows[0] ? Number(rows[0].tokens) : null;
  }

  return {
    /** Takes one token from the client's bucket, or says why not. Allowed calls cost one statement. */
    async takeToken(input: TakeTokenInput): Promise<TakeTokenResult> {
      if (await take(input)) return { allowed: true };
      const tokens = await tokensNow(input);
      if (tokens === null) return { allowed: false, reason: 'clients' };
      return { allowed: false, reason: 'rate', tokens, waitS: Math.max(0, (1 - tokens) / input.perS) };
    },

    /** Deletes rows whose bucket is full again (of one function, or all); how many. */
    async sweepFull(fn?: { namespace: string; functionName: string }): Promise<number> {
      const where = fn ? Prisma.sql` AND "namespace" = ${fn.namespace} AND "functionName" = ${fn.functionName}` : Prisma.empty;
      return prisma.$executeRaw`DELETE FROM "TriggerRateBucket" WHERE "fullAtS" <= ${NOW_S}${where}`;
    },

    /** Rows a function holds (tests, operators). */
    async clientsOf(namespace: string, functionName: string): Promise<number> {
      return prisma.triggerRateBucket.count({ where: { namespace, functionName } });
    },
  };
}

export type TriggerRateRepository = ReturnType<typeof createTriggerRateRepository>;
