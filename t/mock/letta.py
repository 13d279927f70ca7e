#!/usr/bin/env python3
# A Letta server's synchronous POST /v1/agents/{agent_id}/messages, for
# the letta backend's tests (t/worker/26-letta.t, docs/testing.md).
# Python 3 standard library only; the scripting, recording and failure
# specs are t/mock/openai.py's (imported), the answers Letta's.
#
#   t/mock/letta.py PORTFILE [CERT KEY]
#                                 listens on a free loopback port, writes it
#                                 to PORTFILE, serves until killed; with a
#                                 certificate and its key, serves the same
#                                 over TLS on a second port too, written to
#                                 PORTFILE.tls (scripting stays plain)
#
# Each message call is one of its runs ("run-upstream-<uuid>", GET /_runs:
# {run_id: {"agent", "status"}}), the agent's current run while it is
# answered, as Letta tracks it; POST /v1/agents/{id}/messages/cancel
# cancels the run_ids given, else the agent's current run (409 when none
# is active), as Letta 0.16.8 does.  A delayed answer checks every 20 ms
# whether its run was cancelled, as Letta's loop does at each step, and
# then ends with stop_reason "cancelled".  Cancels are recorded among the
# requests.
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
#   "cancel": {...}                 how the cancel of this call's run is
#                                   answered: openai.py's "status", "body",
#                                   "delay_ms"
import json
import os
import re
import ssl
import sys
import threading
import uuid
from http.server import ThreadingHTTPServer

import openai as base

ROUTE = re.compile(r"^/v1/agents/([A-Za-z0-9_-]+)/messages$")
CANCEL = re.compile(r"^/v1/agents/([A-Za-z0-9_-]+)/messages/cancel$")
RUNS = {}           # run id: {"agent", "status"}
CURRENT = {}        # agent: its current run id
CANCEL_SPEC = {}    # agent: the "cancel" spec of its current run


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
    def do_GET(self):
        if self.path == "/_runs":
            with base.LOCK:
                self.send(200, json.dumps(RUNS))
            return
        super().do_GET()

    def record(self, body):
        with base.LOCK:
            base.REQUESTS.append({
                "path": self.path, "body": body,
                "authorization": self.headers.get("Authorization"),
                "accept": self.headers.get("Accept")})

    def cancel(self, agent, body):
        self.record(body)
        with base.LOCK:
            spec = CANCEL_SPEC.get(agent) or {}
            ids = (body or {}).get("run_ids") if isinstance(body, dict) \
                else None
            if not ids:
                cur = CURRENT.get(agent)
                ids = [cur] if cur and RUNS[cur]["status"] == "running" \
                    else []
        if spec.get("delay_ms"):
            base.time.sleep(spec["delay_ms"] / 1000.0)
        if "status" in spec:
            self.send(spec["status"], spec.get("body", ""))
            return
        if not ids:
            self.send(409, json.dumps(
                {"detail": "No active runs to cancel for agent " + agent}))
            return
        out = {}
        with base.LOCK:
            for i in ids:
                if i in RUNS and RUNS[i]["status"] == "running":
                    RUNS[i]["status"] = "cancelled"
                out[i] = "cancelled" if i in RUNS else "failed"
        self.send(200, json.dumps(out))

    def wait(self, run, ms):
        # the loop checks for a cancellation before each step
        end = base.time.time() + ms / 1000.0
        while base.time.time() < end:
            with base.LOCK:
                if RUNS[run]["status"] == "cancelled":
                    return True
            base.time.sleep(0.02)
        return False

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if self.path == "/_script":
            with base.LOCK:
                base.SCRIPT = json.loads(raw) or [{"reply": "ok"}]
                del base.REQUESTS[:]
            self.send(200, "{}")
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsable": raw.decode("latin-1")}
        cancel = CANCEL.match(self.path)
        if cancel:
            self.cancel(cancel.group(1), body)
            return
        route = ROUTE.match(self.path)
        if not route:
            self.send(404, '{"detail":"Not Found"}')
            return
        agent = route.group(1)
        self.record(body)
        spec = base.next_spec()
        run = "run-upstream-" + str(uuid.uuid4())
        with base.LOCK:
            RUNS[run] = {"agent": agent, "status": "running"}
            CURRENT[agent] = run
            CANCEL_SPEC[agent] = spec.get("cancel")
        cancelled = spec.get("delay_ms") and self.wait(run, spec["delay_ms"])
        with base.LOCK:
            if RUNS[run]["status"] == "running":
                RUNS[run]["status"] = "completed"
        if cancelled:
            spec = dict(spec, stop_reason="cancelled")
        spec = dict(spec, delay_ms=0)
        try:
            if any(k in spec for k in ("close", "status", "garbage")):
                self.answer(spec, body)
                return
            self.send(200, json.dumps(letta_response(agent, spec, body)))
        except OSError:
            pass                    # the caller has gone: it cancelled


def serve_tls(cert, key, portfile):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    threading.Thread(target=srv.serve_forever, daemon=True).start()


if __name__ == "__main__":
    base.Handler = Handler
    base.SCRIPT[:] = [{"reply": "ok"}]
    if len(sys.argv) > 3:
        serve_tls(sys.argv[2], sys.argv[3], sys.argv[1] + ".tls")
    base.main()
