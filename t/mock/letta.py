#!/usr/bin/env python3
# A Letta server's synchronous POST /v1/agents/{agent_id}/messages, for
# the letta backend's tests (t/worker/26-letta.t, docs/testing.md).
# Python 3 standard library only; the scripting, recording and failure
# specs are t/mock/openai.py's (imported), the answers Letta's.
#
#   t/mock/letta.py PORTFILE      listens on a free loopback port, writes it
#                                 to PORTFILE, serves until killed
#
# A spec, besides openai.py's "status", "body", "retry_after", "delay_ms",
# "garbage" and "close":
#
#   {"reply": "hi"}                 a LettaResponse: a reasoning message and
#                                   an assistant message saying "hi"
#   "echo": true                    the reply is the user's text received
#   "stop_reason": "max_steps"      its stop_reason (default end_turn)
#   "usage": {...}                  its usage (default 11/7, 2 steps)
#   {"response": {...}}             this object, as the whole answer
import json
import re
import uuid

import openai as base

ROUTE = re.compile(r"^/v1/agents/([A-Za-z0-9_-]+)/messages$")


def letta_message(agent, kind, fields):
    m = {"id": "message-" + str(uuid.uuid4()),
         "date": "2026-05-14T10:00:00Z", "name": None,
         "message_type": kind, "otid": str(uuid.uuid4()),
         "sender_id": None, "step_id": "step-upstream-1",
         "is_err": None, "seq_id": None, "run_id": "run-upstream-1"}
    m.update(fields)
    return m


def user_text(body):
    for m in body.get("messages") or []:
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, list):
                return "".join(p.get("text", "") for p in c)
            return c
    return ""


def letta_response(agent, spec, body):
    if "response" in spec:
        return spec["response"]
    reply = user_text(body) if spec.get("echo") else spec.get("reply", "ok")
    usage = {"message_type": "usage_statistics", "completion_tokens": 7,
             "prompt_tokens": 11, "total_tokens": 18, "step_count": 2,
             "run_ids": None}
    usage.update(spec.get("usage") or {})
    return {"messages": [
                letta_message(agent, "reasoning_message",
                              {"reasoning": "the user said something",
                               "source": "reasoner_model",
                               "signature": None}),
                letta_message(agent, "assistant_message", {"content": reply})],
            "stop_reason": {"message_type": "stop_reason",
                            "stop_reason": spec.get("stop_reason",
                                                    "end_turn")},
            "usage": usage}


class Handler(base.Handler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if self.path == "/_script":
            with base.LOCK:
                base.SCRIPT = json.loads(raw) or [{"reply": "ok"}]
                del base.REQUESTS[:]
            self.send(200, "{}")
            return
        route = ROUTE.match(self.path)
        if not route:
            self.send(404, '{"detail":"Not Found"}')
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsable": raw.decode("latin-1")}
        with base.LOCK:
            base.REQUESTS.append({
                "path": self.path, "body": body,
                "authorization": self.headers.get("Authorization"),
                "accept": self.headers.get("Accept")})
        spec = base.next_spec()
        if spec.get("delay_ms"):
            base.time.sleep(spec["delay_ms"] / 1000.0)
            spec = dict(spec, delay_ms=0)
        if any(k in spec for k in ("close", "status", "garbage")):
            self.answer(spec, body)
            return
        self.send(200, json.dumps(letta_response(route.group(1), spec, body)))


if __name__ == "__main__":
    base.Handler = Handler
    base.SCRIPT[:] = [{"reply": "ok"}]
    base.main()
