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

const agentsMade = [];
for (let i = 0; i < 5; i++) {
    agentsMade.push((await client.agents.create({ name: `sdk-page-${i}` })).id);
}
const page = await client.agents.list({ limit: 2 });
check(page.items.length === 2 && page.items[0].id === agentsMade[4] && page.items[1].id === agentsMade[3],
      'agents.list: a page, newest first', JSON.stringify(page.items.map((a) => a.id)));
check(page.hasNextPage(), 'agents.list: there is a next page', 'no next page');
const all = [];
for await (const a of client.agents.list({ limit: 2 })) {
    all.push(a.id);
}
const want = [...agentsMade].reverse().concat([agent.id]);
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

const gone = await client.agents.delete(agentsMade[0]);
check(gone && gone.message === `Agent id=${agentsMade[0]} successfully deleted`,
      'agents.delete answers Letta\'s message', JSON.stringify(gone));
try {
    await client.agents.retrieve(agentsMade[0]);
    check(false, 'a deleted agent is gone', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'a deleted agent is NotFoundError', e);
}
try {
    await client.agents.delete(agentsMade[0]);
    check(false, 'deleting twice rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'agents.delete of a deleted agent is NotFoundError', e);
}
try {
    await client.agents.update(agentsMade[0], { name: 'x' });
    check(false, 'updating a deleted agent rejected', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'agents.update of a deleted agent is NotFoundError', e);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// runs.list: the SDK's auto-pagination (after = the last id of each page)
// goes through every page and stops at the empty one
const lister = await client.agents.create({ name: 'sdk-lister', model: 'openai/gpt-4o-mini' });
const made = [];
for (let i = 0; i < 7; i++) {
    made.push((await client.agents.messages.createAsync(lister.id, { input: `page ${i}` })).id);
}
const collect = async (query) => {
    const ids = [];
    for await (const r of client.runs.list(query)) {
        ids.push(r.id);
        if (ids.length > 50) break;     // a pagination that never ends
    }
    return ids;
};
let seen = await collect({ agent_id: lister.id, limit: 3 });
check(same(seen, [...made].reverse()), 'runs.list auto-paginates 3 pages, newest first, then stops',
      JSON.stringify(seen));
seen = await collect({ agent_id: lister.id, limit: 2, order: 'asc' });
check(same(seen, made), 'runs.list order asc auto-paginates 4 pages', JSON.stringify(seen));
const first = await client.runs.list({ agent_id: lister.id, limit: 2, before: made[4], order: 'asc' });
check(same(first.getPaginatedItems().map((r) => r.id), made.slice(2, 4)),
      'runs.list before: the page just before', JSON.stringify(first.getPaginatedItems()));
const prev = await first.getNextPage();
check(same(prev.getPaginatedItems().map((r) => r.id), made.slice(0, 2)),
      'runs.list paging backwards with before', JSON.stringify(prev.getPaginatedItems()));
const mine = await client.runs.list({ statuses: ['created', 'running', 'completed'], limit: 1000 });
check(made.every((id) => mine.getPaginatedItems().some((r) => r.id === id)),
      'runs.list with repeated statuses', mine.getPaginatedItems().length);

if (expectCompleted) {
    for (const id of made) {
        const deadline = Date.now() + 10000;
        let r = await client.runs.retrieve(id);
        while (r.status !== 'completed' && Date.now() < deadline) {
            await new Promise((res) => setTimeout(res, 50));
            r = await client.runs.retrieve(id);
        }
    }
    const done = await client.runs.list({ agent_id: lister.id, statuses: ['completed'] });
    check(done.getPaginatedItems().length === 7, 'runs.list statuses=completed', done.getPaginatedItems().length);
    const active = await client.runs.list({ agent_id: lister.id, active: true });
    check(active.getPaginatedItems().length === 0, 'runs.list active: none left', active.getPaginatedItems().length);

    const msgs = [];
    for await (const m of client.runs.messages.list(run.id)) msgs.push(m);
    check(msgs.some((m) => m.message_type === 'assistant_message'),
          'runs.messages.list has the answer', JSON.stringify(msgs));
    const usage = await client.runs.usage.retrieve(run.id);
    check(Number.isInteger(usage.total_tokens), 'runs.usage.retrieve', JSON.stringify(usage));
    const steps = [];
    for await (const s of client.runs.steps.list(run.id)) steps.push(s);
    check(steps.length >= 1 && steps[0].run_id === run.id, 'runs.steps.list', JSON.stringify(steps));

    // cancel: runs still queued behind a slow one are cancelled at once
    const slow = await client.agents.create({ name: 'sdk-cancel', model: 'openai/gpt-4o-mini' });
    const queued = [];
    for (let i = 0; i < 3; i++) {
        queued.push((await client.agents.messages.createAsync(slow.id, { input: `wait ${i}` })).id);
    }
    const answer = await client.agents.messages.cancel(slow.id);
    check(same(Object.keys(answer).sort(), [...queued].sort())
          && Object.values(answer).every((v) => v === 'cancelled'),
          'agents.messages.cancel answers every run cancelled', JSON.stringify(answer));
    for (const [i, id] of queued.entries()) {
        const deadline = Date.now() + 10000;
        let r = await client.runs.retrieve(id);
        while (r.status !== 'cancelled' && Date.now() < deadline) {
            await new Promise((res) => setTimeout(res, 50));
            r = await client.runs.retrieve(id);
        }
        check(r.status === 'cancelled' && r.stop_reason === 'cancelled', `queued run ${i} ends cancelled`,
              JSON.stringify(r));
    }
    try {
        await client.agents.messages.cancel(slow.id);
        check(false, 'a second cancel finds nothing to cancel', 'no error');
    } catch (e) {
        check(e instanceof Letta.ConflictError, 'a second cancel is a 409 ConflictError', e);
    }
}

// DELETE /v1/runs/{id}: not in this SDK's resources; its client does it
const deleted = await client.delete(`/v1/runs/${made[0]}`);
check(deleted.id === made[0], 'DELETE a run answers it', JSON.stringify(deleted));
try {
    await client.runs.retrieve(made[0]);
    check(false, 'a deleted run is gone', 'no error');
} catch (e) {
    check(e instanceof Letta.NotFoundError, 'a deleted run is NotFoundError', e);
}
seen = await collect({ agent_id: lister.id, limit: 4 });
check(same(seen, [...made].slice(1).reverse()), 'runs.list no longer has it', JSON.stringify(seen));

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
