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
  /**
   * The single statement of every call: a row back means a token was taken, `inserted` that the
   * client had no row (xmax is 0 only on a row this statement inserted; an ON CONFLICT update
   * sets it), then held to maxClients by capClients.
   */
  async function take(input: TakeTokenInput): Promise<{ inserted: boolean; atS: number } | undefined> {
    const { namespace, functionName, client } = input;
    const perS = Prisma.sql`${input.perS}::float8`;
    const cap = Prisma.sql`${Math.max(1, input.perS)}::float8`;
    const refill = Prisma.sql`LEAST(${cap}, b."tokens" + (EXCLUDED."atS" - b."atS") * ${perS})`;
    const rows = await prisma.$queryRaw<Array<{ inserted: boolean; atS: number }>>`
      INSERT INTO "TriggerRateBucket" AS b ("namespace", "functionName", "client", "tokens", "atS", "fullAtS")
      VALUES (${namespace}, ${functionName}, ${client}, ${cap} - 1, ${NOW_S}, ${NOW_S} + 1 / ${perS})
      ON CONFLICT ("namespace", "functionName", "client") DO UPDATE SET
        "tokens" = ${refill} - 1,
        "atS" = EXCLUDED."atS",
        "fullAtS" = EXCLUDED."atS" + (${cap} - (${refill} - 1)) / ${perS}
      WHERE ${refill} >= 1
      RETURNING (b."xmax" = 0) AS "inserted", b."atS"`;
    return rows[0];
  }

  /**
   * A new client's row stays only while the function holds at most maxClients rows; else it is
   * deleted again (unless that client's next call already changed it) and the call refused. New
   * clients racing past the count together may all stay: the bound is maxClients plus the calls
   * in flight at that moment. Known clients never pay for the count.
   */
  async function capClients(input: TakeTokenInput, atS: number): Promise<boolean> {
    const { namespace, functionName, client } = input;
    const [held] = await prisma.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS "n" FROM (SELECT 1 FROM "TriggerRateBucket"
        WHERE "namespace" = ${namespace} AND "functionName" = ${functionName} LIMIT ${input.maxClients + 1}::int) AS held`;
    if ((held?.n ?? 0) <= input.maxClients) return true;
    await prisma.$executeRaw`
      DELETE FROM "TriggerRateBucket"
      WHERE "namespace" = ${namespace} AND "functionName" = ${functionName} AND "client" = ${client} AND "atS" = ${atS}::float8`;
    return false;
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
    /** Takes one token from the client's bucket, or says why not. A known client's allowed call costs one statement. */
    async takeToken(input: TakeTokenInput): Promise<TakeTokenResult> {
      const taken = await take(input);
      if (taken && (!taken.inserted || (await capClients(input, taken.atS)))) return { allowed: true };
      if (taken) return { allowed: false, reason: 'clients' };
      const tokens = await tokensNow(input);
      // Refused, and gone since (swept): try again later.
      if (tokens === null) return { allowed: false, reason: 'rate', tokens: 0, waitS: 0 };
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
