// Drives the official Letta TypeScript SDK, unchanged, against the module.
// Usage: node sdk-test.mjs <baseURL> <token> [expect-completed]
// Prints one line per check ("ok ..." / "not ok ...") and exits non-zero on
// any failure; t/90-sdk.t runs it.
import Letta from '@letta-ai/letta-client';

const [baseURL, token, expectCompleted] = process.argv.slice(2);
const client = new Letta({ baseURL, apiKey: token, maxRetries: 0 });
let failed = 0;

function check(ok, name, detail) {
    console.log(`${ok ? 'ok' : 'not ok'} - ${name}${ok ? '' : ': ' + detail}`);
    if (!ok) failed++;
}

const agent = await client.agents.create({
    name: 'sdk-agent', system: 'You repeat.', model: 'openai/gpt-4o-mini',
});
check(/^agent-[0-9a-f-]{36}$/.test(agent.id), 'agents.create returns an agent id', agent.id);
check(agent.name === 'sdk-agent', 'agent name honoured', agent.name);

const got = await client.agents.retrieve(agent.id);
check(got.id === agent.id, 'agents.retrieve', JSON.stringify(got));

const run = await client.agents.messages.createAsync(agent.id, {
    messages: [{ role: 'user', content: 'hello from the sdk' }],
    callback_url: null,
});
check(/^run-[0-9a-f-]{36}$/.test(run.id), 'createAsync returns a run id', run.id);
check(run.status === 'created', 'run starts created', run.status);
check(run.agent_id === agent.id, 'run agent_id', run.agent_id);
check(run.background === true, 'run background', run.background);

const run2 = await client.agents.messages.createAsync(agent.id, { input: 'sugar' });
check(run2.status === 'created', 'createAsync with input', run2.status);

let polled = await client.runs.retrieve(run.id);
check(polled.id === run.id, 'runs.retrieve', JSON.stringify(polled));

if (expectCompleted) {
    const deadline = Date.now() + 10000;
    while (!['completed', 'failed', 'cancelled'].includes(polled.status)
           && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        polled = await client.runs.retrieve(run.id);
    }
    check(polled.status === 'completed', 'run completes', JSON.stringify(polled));
    check(polled.stop_reason === 'end_turn', 'stop_reason end_turn', polled.stop_reason);
    check(Number.isInteger(polled.total_duration_ns), 'total_duration_ns', polled.total_duration_ns);
}

try {
    await client.agents.messages.createAsync('agent-123e4567-e89b-42d3-8456-426614174000',
                                             { input: 'x' });
    check(false, 'unknown agent rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'unknown agent is NotFoundError', e);
}

try {
    await client.agents.messages.createAsync(agent.id, {});
    check(false, 'empty body rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.UnprocessableEntityError, 'empty body is 422', e);
}

try {
    const bad = new Letta({ baseURL, apiKey: 'wrong-token-000', maxRetries: 0 });
    await bad.runs.retrieve(run.id);
    check(false, 'bad token rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.AuthenticationError, 'bad token is AuthenticationError', e);
}

console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
