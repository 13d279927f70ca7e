"""The FastAPI baseline of scripts/bench: the two endpoints in Letta's own
stack (FastAPI, pydantic models, redis-py's asyncio client under uvicorn),
doing the work the module does:

  POST /v1/agents/{agent_id}/messages/async
        Bearer token; the body parsed into a pydantic LettaAsyncRequest
        (messages or input, roles, content, max_steps, the request
        config); the job re-encoded with each message given its type and
        an otid; one EVALSHA of bench/create_run.lua (check the agent's
        tenant, HSET the run hash, 3 ZADD, RPUSH the queue, LPUSH ready
        when the queue was empty); the Run (response_model).
  GET   /v1/runs/{run_id}
        Bearer token; HMGET P{S}:run:R; the Run.

The key layout is the module's (docs/redis-keys.md, "Slots"): a run id
carries its agent's Redis Cluster slot, its keys the tag of that slot.

Settings from the environment: BENCH_REDIS_PORT, BENCH_TOKEN.  Written for
the comparison; not part of the service.
"""

import json
import os
import time
import uuid
from pathlib import Path
from typing import List, Literal, Optional, Union

import redis.asyncio as aioredis
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field, root_validator

PREFIX = "aa:"
TENANT = "default"
BEARER = "Bearer " + os.environ["BENCH_TOKEN"]
SCRIPT = (Path(__file__).parent.parent / "create_run.lua").read_text()

pool = aioredis.Redis(host="127.0.0.1", port=int(os.environ["BENCH_REDIS_PORT"]),
                      decode_responses=True, max_connections=256)
create_run = pool.register_script(SCRIPT)
app = FastAPI()


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/XMODEM, Redis Cluster's hash."""
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def slot_tags() -> dict:
    """The tag of each slot: the first of [0-9a-zA-Z]{1,3}, shortest first."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    tags: dict = {}
    prefixes = [""]
    while len(tags) < 16384:
        grown = []
        for p in prefixes:
            pc = crc16(p.encode())
            for c in alphabet:
                crc = crc16(c.encode(), pc)
                tags.setdefault(crc & 0x3FFF, p + c)
                grown.append(p + c)
        prefixes = grown
    return tags


TAGS = slot_tags()


def run_key(run_id: str) -> Optional[str]:
    try:
        slot = int(run_id[-4:], 16) & 0x3FFF
    except ValueError:
        return None
    return f"{PREFIX}{{{TAGS[slot]}}}:run:{run_id}"


def new_run_id(agent_id: str) -> str:
    """A uuid4 run id carrying the agent's slot in its last 14 bits."""
    b = bytearray(uuid.uuid4().bytes)
    slot = crc16(agent_id.encode()) & 0x3FFF
    b[14] = (b[14] & 0xC0) | (slot >> 8)
    b[15] = slot & 0xFF
    return "run-" + str(uuid.UUID(bytes=bytes(b)))


class TextContent(BaseModel):
    type: Literal["text"]
    text: str


class MessageCreate(BaseModel):
    type: Optional[Literal["message"]] = "message"
    role: Literal["user", "system", "assistant"]
    content: Union[str, List[TextContent]]
    otid: Optional[str] = None


class LettaAsyncRequest(BaseModel):
    messages: Optional[List[MessageCreate]] = None
    input: Optional[Union[str, List[TextContent]]] = None
    max_steps: int = Field(50, ge=1)
    use_assistant_message: bool = True
    assistant_message_tool_name: str = "send_message"
    assistant_message_tool_kwarg: str = "message"
    include_return_message_types: Optional[List[str]] = None
    include_compaction_messages: bool = False
    override_model: Optional[str] = None
    override_system: Optional[str] = None
    callback_url: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def messages_or_input(cls, values):
        if not values.get("messages") and values.get("input") is None:
            raise ValueError("messages or input is required")
        return values


class LettaRequestConfig(BaseModel):
    use_assistant_message: bool
    assistant_message_tool_name: str
    assistant_message_tool_kwarg: str
    include_return_message_types: Optional[List[str]]


class Run(BaseModel):
    id: str
    status: str
    created_at: str
    completed_at: Optional[str] = None
    agent_id: str
    conversation_id: Optional[str] = None
    base_template_id: Optional[str] = None
    background: Optional[bool] = None
    metadata: Optional[dict] = None
    request_config: Optional[LettaRequestConfig] = None
    stop_reason: Optional[str] = None
    callback_url: Optional[str] = None
    callback_sent_at: Optional[str] = None
    callback_status_code: Optional[int] = None
    callback_error: Optional[str] = None
    ttft_ns: Optional[int] = None
    total_duration_ns: Optional[int] = None


METADATA = {"run_type": "send_message_async", "lettuce": None}
FIELDS = ["tenant", "status", "created_at", "completed_at", "agent_id",
          "background", "metadata", "request_config", "stop_reason",
          "callback_url", "callback_sent_at", "callback_status_code",
          "callback_error", "ttft_ns", "total_duration_ns"]


def authorize(authorization: Optional[str]):
    if authorization != BEARER:
        raise HTTPException(status_code=401, detail="Unauthorized")


@app.post("/v1/agents/{agent_id}/messages/async", response_model=Run)
async def create_message_async(agent_id: str, request: LettaAsyncRequest,
                               authorization: Optional[str] = Header(None)):
    authorize(authorization)
    if request.input is not None:
        messages = [MessageCreate(role="user", content=request.input)]
    else:
        messages = request.messages
    job = {
        "messages": [dict(m.dict(), otid=m.otid or str(uuid.uuid4())) for m in messages],
        "max_steps": request.max_steps,
        "override_model": request.override_model,
        "override_system": request.override_system,
        "include_compaction_messages": request.include_compaction_messages,
        "include_return_message_types": request.include_return_message_types,
    }
    config = LettaRequestConfig(**request.dict(include=set(LettaRequestConfig.__fields__)))
    run_id = new_run_id(agent_id)
    now = time.time()
    us = int(now * 1_000_000)
    created_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % (us % 1_000_000)
    a = f"{PREFIX}{{{agent_id}}}:"
    keys = [a + "agent", a + "queue", a + "runs", run_key(run_id),
            f"{PREFIX}tenant:{TENANT}:runs",
            PREFIX + "ready", f"{PREFIX}tenant:{TENANT}:active"]
    args = [TENANT, run_id, agent_id, us,
            "id", run_id, "agent_id", agent_id, "tenant", TENANT,
            "status", "created", "created_at", created_at, "created_us", us,
            "background", "1", "metadata", json.dumps(METADATA),
            "request_config", config.json(), "request", json.dumps(job)]
    if request.callback_url:
        args += ["callback_url", request.callback_url]
    if await create_run(keys=keys, args=args) == 0:
        raise HTTPException(status_code=404, detail=f"Agent {agent_id} not found")
    return Run(id=run_id, status="created", created_at=created_at, agent_id=agent_id,
               background=True, metadata=METADATA, request_config=config,
               callback_url=request.callback_url)


@app.get("/v1/runs/{run_id}", response_model=Run)
async def retrieve_run(run_id: str, authorization: Optional[str] = Header(None)):
    authorize(authorization)
    key = run_key(run_id)
    values = None
    if key is not None:
        values = await pool.hmget(key, FIELDS)
    if not values or values[0] != TENANT:
        raise HTTPException(status_code=404, detail=f"Run {run_id} not found")
    run = {k: v for k, v in zip(FIELDS[1:], values[1:]) if v is not None}
    for k in ("metadata", "request_config"):
        if k in run:
            run[k] = json.loads(run[k])
    run["background"] = run.get("background") == "1"
    return Run(id=run_id, **run)
