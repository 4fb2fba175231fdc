// The order in which one round of an interleaved bench runs its timers. Rotating the first one
// (the earlier scheme) keeps each timer behind the same neighbour in most rounds: the one after
// the Temporal floor, or after a cold invoke whose container is still being removed, paid that
// neighbour's tail every time, and its ratio moved by a few hundredths. A shuffle, the same in
// every run (seeded), puts each timer behind each other one about equally often.

/** mulberry32: a small seeded generator; reproducible rounds, not randomness. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Round `round`'s order of the indexes 0..count-1 (Fisher–Yates with a per-round seed). */
export function roundOrder(count: number, round: number): number[] {
  const next = seeded(0x5eed + round);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
