#!/usr/bin/env python3
# An OpenAI-compatible /chat/completions server for the worker's tests
# (t/worker/2x-*.t, docs/testing.md).  Python 3 standard library only.
#
#   t/mock/openai.py PORTFILE     listens on a free loopback port, writes it
#                                 to PORTFILE, serves until killed
#
# Each POST .../chat/completions is answered by the next spec of a queue
# the test sets (POST /_script, a JSON array; the last spec repeats), and
# recorded (GET /_requests: every body received, with its headers).  A
# spec is an object:
#
#   {"text": "hi"}                      an answer (streamed when asked)
#   {"tool_calls": [{"name": N, "arguments": "{...}"}]}
#   "style": "openai" | "ollama" | "whole" | "object"
#                                       how tool calls are streamed: in
#                                       fragments with an index; in one
#                                       chunk of their own without index,
#                                       finish_reason "stop" (Ollama); whole
#                                       in one chunk; arguments as an object
#   "json": false                       answer a stream request with a body
#   "chunk": n                          write the stream n bytes at a time
#   "usage": false                      no usage
#   "reasoning": "..."                  reasoning_content first
#   "no_ids": true                      tool calls without an id
#   "finish_reason": "length"
#   "recall": true                      text: the user messages it was sent
#                                       before the last one, joined by "|"
#   "status": 500, "body": "...", "retry_after": 1
#   "delay_ms": n                       before the status line
#   "stall_ms": n                       after the first event
#   "drip_ms": n                        between two writes of the stream
#   "garbage": "..."                    a 200 JSON answer that is this text
#   "cut": true                         stream cut in the middle of an event
#   "close": true                       close without answering
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SCRIPT = [{"text": "ok"}]
REQUESTS = []


def next_spec():
    with LOCK:
        if len(SCRIPT) > 1:
            return SCRIPT.pop(0)
        return SCRIPT[0]


def tool_call_objects(spec):
    calls = []
    for i, c in enumerate(spec.get("tool_calls", [])):
        calls.append({"index": i, "id": c.get("id", "call_%d_%d" % (i, int(time.time() * 1e6))),
                      "type": "function",
                      "function": {"name": c["name"],
                                   "arguments": c.get("arguments", "{}")}})
        if spec.get("no_ids"):
            del calls[-1]["id"]
    return calls


def recall_text(body):
    users = [m.get("content") for m in body.get("messages", [])
             if m.get("role") == "user"]
    return "|".join(str(u) for u in users[:-1])


def usage(spec):
    if spec.get("usage") is False:
        return None
    return {"prompt_tokens": spec.get("prompt_tokens", 11),
            "completion_tokens": spec.get("completion_tokens", 7),
            "total_tokens": spec.get("prompt_tokens", 11) + spec.get("completion_tokens", 7)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_requests":
            with LOCK:
                self.send(200, json.dumps(REQUESTS))
            return
        self.send(404, '{"error":"not found"}')

    def do_POST(self):
        global SCRIPT
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if self.path == "/_script":
            with LOCK:
                SCRIPT = json.loads(raw) or [{"text": "ok"}]
                del REQUESTS[:]
            self.send(200, "{}")
            return
        if not self.path.endswith("/chat/completions"):
            self.send(404, '{"error":{"message":"no such route"}}')
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsable": raw.decode("latin-1")}
        with LOCK:
            REQUESTS.append({"path": self.path, "body": body,
                             "authorization": self.headers.get("Authorization")})
        spec = next_spec()
        self.answer(spec, body)

    def answer(self, spec, body):
        if spec.get("delay_ms"):
            time.sleep(spec["delay_ms"] / 1000.0)
        if spec.get("close"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if "status" in spec:
            extra = {}
            if "retry_after" in spec:
                extra["Retry-After"] = str(spec["retry_after"])
            self.send(spec["status"], spec.get("body", ""), extra=extra)
            return
        if "garbage" in spec:
            self.send(200, spec["garbage"])
            return
        text = recall_text(body) if spec.get("recall") else spec.get("text")
        calls = tool_call_objects(spec)
        finish = spec.get("finish_reason", "tool_calls" if calls else "stop")
        if body.get("stream") and spec.get("json", True):
            self.stream(spec, text, calls, finish)
            return
        msg = {"role": "assistant", "content": text}
        if spec.get("reasoning"):
            msg["reasoning_content"] = spec["reasoning"]
        if calls:
            for c in calls:
                del c["index"]
            msg["tool_calls"] = calls
        out = {"id": "chatcmpl-1", "object": "chat.completion",
               "choices": [{"index": 0, "message": msg,
                            "finish_reason": finish}]}
        if usage(spec):
            out["usage"] = usage(spec)
        self.send(200, json.dumps(out))

    def stream(self, spec, text, calls, finish):
        events = []

        def chunk(delta, fr=None):
            return {"id": "chatcmpl-1", "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta,
                                 "finish_reason": fr}]}

        events.append(chunk({"role": "assistant", "content": ""}))
        if spec.get("reasoning"):
            events.append(chunk({"reasoning_content": spec["reasoning"]}))
        if text:
            half = len(text) // 2
            for part in (text[:half], text[half:]):
                if part:
                    events.append(chunk({"content": part}))
        style = spec.get("style", "openai")
        if calls and style == "openai":
            for c in calls:
                a = c["function"]["arguments"]
                h = len(a) // 2
                events.append(chunk({"tool_calls": [{
                    "index": c["index"], "id": c["id"], "type": "function",
                    "function": {"name": c["function"]["name"],
                                 "arguments": a[:h]}}]}))
                events.append(chunk({"tool_calls": [{
                    "index": c["index"], "function": {"arguments": a[h:]}}]}))
        elif calls and style == "ollama":
            for c in calls:
                del c["index"]
            events.append(chunk({"tool_calls": calls}))
            finish = "stop"
        elif calls and style == "object":
            for c in calls:
                c["function"]["arguments"] = json.loads(c["function"]["arguments"])
            events.append(chunk({"tool_calls": calls}))
        elif calls:
            events.append(chunk({"tool_calls": calls}))
        events.append(chunk({}, finish))
        if usage(spec):
            events.append({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                           "choices": [], "usage": usage(spec)})
        data = "".join("data: %s\n\n" % json.dumps(e) for e in events)
        data += "data: [DONE]\n\n"
        if spec.get("cut"):
            data = data[: data.index("data: [DONE]") - 30]
        raw = data.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        step = spec.get("chunk") or len(raw)
        first = raw.index(b"\n\n") + 2
        self.wfile.write(raw[:first])
        self.wfile.flush()
        if spec.get("stall_ms"):
            time.sleep(spec["stall_ms"] / 1000.0)
        for i in range(first, len(raw), step):
            self.wfile.write(raw[i:i + step])
            self.wfile.flush()
            if spec.get("drip_ms"):
                time.sleep(spec["drip_ms"] / 1000.0)


def main():
    # a thousand calls at once: a backlog for them all
    ThreadingHTTPServer.request_queue_size = 2048
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
