const payload = JSON.parse(process.env.FUNCTION_PAYLOAD || '{}');
const result = { message: `Hello, ${payload.name ?? 'World'}!` };
console.log(JSON.stringify(result));
