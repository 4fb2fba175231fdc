export async function handler(event, context) {
  const name = event?.name ?? 'World';
  console.log(`invocation ${context.invocationId}, attempt ${context.attempt}`); // a log line
  return { message: `Hello, ${name}!`, remainingMs: context.getRemainingTimeInMillis() };
}
