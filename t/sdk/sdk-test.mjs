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

// the Agents API: update, list (one page, then every page), delete
const updated = await client.agents.update(agent.id, {
    name: 'sdk-renamed', description: 'patched', metadata: { by: 'sdk' },
});
check(updated.id === agent.id && updated.name === 'sdk-renamed',
      'agents.update renames', JSON.stringify(updated));
check(updated.description === 'patched' && updated.metadata.by === 'sdk',
      'agents.update sets description and metadata', JSON.stringify(updated));
check(updated.system === 'You repeat.' && updated.model === 'openai/gpt-4o-mini',
      'agents.update keeps what it was not given', JSON.stringify(updated));
if (expectCompleted) {
    check(updated.last_stop_reason === 'end_turn',
          'the agent\'s last_stop_reason after its run', updated.last_stop_reason);
    check(Number.isInteger(updated.last_run_duration_ms),
          'the agent\'s last_run_duration_ms', updated.last_run_duration_ms);
}

const made = [];
for (let i = 0; i < 5; i++) {
    made.push((await client.agents.create({ name: `sdk-page-${i}` })).id);
}
const page = await client.agents.list({ limit: 2 });
check(page.items.length === 2 && page.items[0].id === made[4] && page.items[1].id === made[3],
      'agents.list: a page, newest first', JSON.stringify(page.items.map((a) => a.id)));
check(page.hasNextPage(), 'agents.list: there is a next page', 'no next page');
const all = [];
for await (const a of client.agents.list({ limit: 2 })) {
    all.push(a.id);
}
const want = [...made].reverse().concat([agent.id]);
check(JSON.stringify(all) === JSON.stringify(want),
      'agents.list auto-pagination: every agent once, newest first',
      JSON.stringify({ all, want }));
const asc = [];
for await (const a of client.agents.list({ limit: 3, order: 'asc' })) {
    asc.push(a.id);
}
check(JSON.stringify(asc) === JSON.stringify([...want].reverse()),
      'agents.list order asc, every page', JSON.stringify(asc));
const named = await client.agents.list({ name: 'sdk-renamed' });
check(named.items.length === 1 && named.items[0].id === agent.id,
      'agents.list name filter', JSON.stringify(named.items.map((a) => a.id)));
try {
    await client.agents.list({ limit: 0 });
    check(false, 'limit 0 rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.UnprocessableEntityError, 'agents.list limit 0 is 422', e);
}

const gone = await client.agents.delete(made[0]);
check(gone && gone.message === `Agent id=${made[0]} successfully deleted`,
      'agents.delete answers Letta\'s message', JSON.stringify(gone));
try {
    await client.agents.retrieve(made[0]);
    check(false, 'a deleted agent is gone', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'a deleted agent is NotFoundError', e);
}
try {
    await client.agents.delete(made[0]);
    check(false, 'deleting twice rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'agents.delete of a deleted agent is NotFoundError', e);
}
try {
    await client.agents.update(made[0], { name: 'x' });
    check(false, 'updating a deleted agent rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'agents.update of a deleted agent is NotFoundError', e);
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
