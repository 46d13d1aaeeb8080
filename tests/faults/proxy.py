#!/usr/bin/env python3
"""A fault-injecting HTTP proxy between a DynamoDB client and a local DynamoDB (the moto server), stdlib only.

    python3 tests/faults/proxy.py UPSTREAM_HOST:PORT SEED [SHARE]

Listens on a free loopback port and prints it on the first line of stdout. Every DynamoDB call (an HTTP request
from the SDK) gets a number in arrival order; call n's fate is drawn from `random.Random(f"{SEED}:{n}")`, so a
seed always gives the same sequence of faults. While faults are on, a SHARE (default 0.2) of calls fail, in equal
parts:

- `internal`: HTTP 500 with DynamoDB's `InternalServerError` body; the call never reaches the table.
- `throughput`: HTTP 400 `ProvisionedThroughputExceededException`; never reaches the table.
- `throttling`: HTTP 400 `ThrottlingException`; never reaches the table.
- `reset`: the connection is reset (RST). Half of them (drawn from the seed too) after the call reached the table
  and was applied: the answer is lost, the write is not; the other half before it reached the table.
- `stall`: the call is held 3 seconds, then sent on and answered (if the client is still there; applied anyway).

Control requests (anything under `/__faults/`, which the SDK never sends): `GET /__faults/stats` (JSON figures),
`POST /__faults/on`, `/__faults/off`, `/__faults/outage` (every call fails, cycling through the kinds that are
errors: what the SDK's retries cannot absorb), `/__faults/blackhole` (calls are read and never answered).

The proxy exits when its standard input closes, so it never outlives the test that started it.
"""
import asyncio
import json
import os
import random
import socket
import struct
import sys
import threading
import uuid

UPSTREAM_HOST, _, UPSTREAM_PORT = sys.argv[1].rpartition(":")
UPSTREAM = (UPSTREAM_HOST, int(UPSTREAM_PORT))
SEED = sys.argv[2]
SHARE = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
STALL_SECONDS = 3.0
KINDS = ["internal", "throughput", "throttling", "reset", "stall"]
OUTAGE_KINDS = ["internal", "throughput", "throttling", "reset"]

ERRORS = {
    "internal": (500, "Internal Server Error", "InternalServerError", "Internal server error"),
    "throughput": (
        400,
        "Bad Request",
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your "
        "provisioning level with the UpdateTable API.",
    ),
    "throttling": (400, "Bad Request", "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
}

mode = "off"  # off | on | outage | blackhole
stats = {
    "calls": 0,
    "forwarded": 0,
    "faulted": {kind: 0 for kind in KINDS},
    "reset_after_applied": 0,
    "by_operation": {},
    "retry_attempts": 0,
    "invocations": 0,
    "invocations_faulted": 0,
    "invocations_recovered": 0,
    "invocations_failed": 0,
    "blackholed": 0,
}
# Per SDK invocation (`amz-sdk-invocation-id`, the same on every attempt of one call): faults seen and how its
# latest attempt ended, to tell the faults the SDK's retries absorbed from those it gave up on.
invocations = {}


def fate(n):
    """The fault for call `n`, if any, and whether a reset comes after the call was applied."""
    rng = random.Random(f"{SEED}:{n}")
    draw, after = rng.random(), rng.random() < 0.5
    if mode == "outage":
        return OUTAGE_KINDS[n % len(OUTAGE_KINDS)], after
    if mode == "on" and draw < SHARE:
        return KINDS[min(int(draw / SHARE * len(KINDS)), len(KINDS) - 1)], after
    return None, False


def header(head, name):
    for line in head[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def error_response(kind):
    status, reason, code, message = ERRORS[kind]
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"Content-Type: application/x-amz-json-1.0\r\n"
        f"x-amzn-RequestId: {uuid.uuid4()}\r\n"
        f"x-amzn-ErrorType: {code}:http://internal.amazon.com/coral/com.amazonaws.dynamodb.v20120810/\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def forward(head, body):
    """Sends the call to the upstream (one connection per call: moto's server speaks HTTP/1.0) and returns its
    answer re-framed as HTTP/1.1 with a Content-Length, so the client's connection stays open."""
    reader, writer = await asyncio.open_connection(*UPSTREAM)
    try:
        skip = {"connection", "keep-alive", "expect", "proxy-connection"}
        lines = [head[0]] + [line for line in head[1:] if line.partition(":")[0].strip().lower() not in skip]
        writer.write(("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    answer_head, _, answer_body = raw.partition(b"\r\n\r\n")
    answer_lines = answer_head.decode("latin-1").split("\r\n")
    status = answer_lines[0].split(" ", 1)[1]
    drop = {"connection", "keep-alive", "content-length", "transfer-encoding"}
    kept = [line for line in answer_lines[1:] if line.partition(":")[0].strip().lower() not in drop]
    stats["forwarded"] += 1
    out = [f"HTTP/1.1 {status}"] + kept + [f"Content-Length: {len(answer_body)}"]
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + answer_body


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def note_attempt(head, faulted):
    invocation = header(head, "amz-sdk-invocation-id") or str(uuid.uuid4())
    attempt = header(head, "amz-sdk-request") or ""
    if not attempt.startswith("attempt=1;") and attempt:
        stats["retry_attempts"] += 1
    seen = invocations.setdefault(invocation, {"faults": 0, "last_faulted": False})
    seen["faults"] += 1 if faulted else 0
    seen["last_faulted"] = faulted


def figures():
    summary = dict(stats)
    summary["invocations"] = len(invocations)
    faulted = [i for i in invocations.values() if i["faults"]]
    summary["invocations_faulted"] = len(faulted)
    summary["invocations_recovered"] = sum(1 for i in faulted if not i["last_faulted"])
    summary["invocations_failed"] = sum(1 for i in faulted if i["last_faulted"])
    summary["mode"] = mode
    return summary


async def control(path, writer):
    global mode
    name = path[len("/__faults/"):]
    if name in ("on", "off", "outage", "blackhole"):
        mode = name
        body = json.dumps({"mode": mode}).encode()
    elif name == "stats":
        body = json.dumps(figures()).encode()
    else:
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def serve(reader, writer):
    try:
        while True:
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            head = raw[:-4].decode("latin-1").split("\r\n")
            method, path = head[0].split(" ")[:2]
            if path.startswith("/__faults/"):
                await control(path, writer)
                await writer.drain()
                return
            if (header(head, "expect") or "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await reader.readexactly(int(header(head, "content-length") or 0))
            n = stats["calls"]
            stats["calls"] += 1
            target = (header(head, "x-amz-target") or method).rpartition(".")[2]
            stats["by_operation"][target] = stats["by_operation"].get(target, 0) + 1
            if mode == "blackhole":
                stats["blackholed"] += 1
                await asyncio.sleep(3600)
                return
            kind, after = fate(n)
            note_attempt(head, kind is not None and kind != "stall")
            if kind is not None:
                stats["faulted"][kind] += 1
            if kind in ERRORS:
                writer.write(error_response(kind))
            elif kind == "reset":
                if after:
                    stats["reset_after_applied"] += 1
                    await forward(head, body)
                reset(writer)
                return
            else:
                if kind == "stall":
                    await asyncio.sleep(STALL_SECONDS)
                writer.write(await forward(head, body))
            await writer.drain()
    except (ConnectionError, OSError):
        return
    finally:
        if not writer.transport.is_closing():
            writer.close()


def exit_with_stdin():
    sys.stdin.read()
    os._exit(0)


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


threading.Thread(target=exit_with_stdin, daemon=True).start()
asyncio.run(main())
