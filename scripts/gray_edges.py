#!/usr/bin/env python3
"""Helpers of scripts/gray_bench.sh (standard library only).

  gray_edges.py held PORT EDGES OUT
      Pulls once as each of EDGES edges (edge-0 ..) over one kept-alive
      connection and writes wrk scripts in which each request is one of
      them pulling records.changes(1000) (nothing new) with the releases
      that edge holds (its reply's "gray") in Syncdict-Gray, as a syncdict
      edge sends: OUT-close.lua (a connection per pull) and
      OUT-keep-alive.lua. Prints how many edges are in at least one
      release.

  gray_edges.py abort PORT EDGES RELEASE CREDENTIALS
      EDGES edges in release RELEASE (a percentage of 100) each hold a pull
      (records.changes(current, ["default"], 60), naming the release), then
      the release is aborted; prints the time from sending the abort to
      each edge's reply carrying the main line: "abort_to_main_ms p50 X p99
      Y max Z edges N".
"""
import asyncio
import base64
import http.client
import json
import sys
import time


def pull_body(since, namespaces=None, wait=None):
    params = [since] if namespaces is None else [since, namespaces] + ([wait] if wait else [])
    return json.dumps({"jsonrpc": "2.0", "method": "records.changes", "params": params, "id": 1})


def held(port, edges, out):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    grays, inside = [], 0
    for i in range(edges):
        conn.request("POST", "/RPC", pull_body(1000), {"Content-Type": "application/json", "Syncdict-Edge": f"edge-{i}"})
        reply = json.loads(conn.getresponse().read())["result"]
        ids = reply.get("gray") or []
        inside += bool(ids)
        grays.append(",".join(str(g) for g in ids))
    table = ",".join(json.dumps(g) for g in grays)
    for keep in ["close", "keep-alive"]:
        with open(f"{out}-{keep}.lua", "w") as f:
            f.write(script(table, edges, keep))
    print(inside)


def script(table, edges, keep):
    return f"""local gray = {{{table}}}
local n = 0
local body = '{pull_body(1000)}'
function setup(thread) thread:set("offset", math.random(0, {edges} - 1)) end
function request()
    n = n + 1
    local i = (n + offset) % {edges}
    local headers = {{
        ["Content-Type"] = "application/json",
        ["User-Agent"] = "syncdict/0.1.0",
        ["Syncdict-Edge"] = "edge-" .. i,
        ["Syncdict-Edge-Digest"] = "unchecked",
        ["Connection"] = "{keep}",
    }}
    if gray[i + 1] ~= "" then headers["Syncdict-Gray"] = gray[i + 1] end
    return wrk.format("POST", nil, headers, body)
end
"""


async def exchange(port, body, headers):
    """One request on its own connection; the reply's body (chunked or not)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    data = body.encode()
    writer.write(f"POST /RPC HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n{head}\r\n".encode() + data)
    await writer.drain()
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode().lower().split("\r\n")
    out = b""
    if any(l.startswith("transfer-encoding: chunked") for l in lines):
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                break
            out += await reader.readexactly(size)
            await reader.readline()
    else:
        length = next(int(l.split(":")[1]) for l in lines if l.startswith("content-length"))
        out = await reader.readexactly(length)
    writer.close()
    return json.loads(out)


def held_now(port):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    return next(int(float(l.split()[-1])) for l in text.splitlines() if l.startswith("syncdict_held_requests"))


async def abort(port, edges, release, credentials):
    auth = "Basic " + base64.b64encode(credentials.encode()).decode()
    first = await exchange(port, pull_body(0, ["default"]), {"Syncdict-Edge": "canary-0"})
    revision = first["result"]["revision"]
    arrived = []

    async def edge(i):
        name = f"canary-{i}"
        reply = await exchange(port, pull_body(0, ["default"]), {"Syncdict-Edge": name})
        holds = reply["result"]["gray"]
        assert release in holds, holds
        held = await exchange(port, pull_body(revision, ["default"], 60),
                              {"Syncdict-Edge": name, "Syncdict-Gray": ",".join(map(str, holds))})
        upserts = held["result"]["namespaces"]["default"]["upserts"]
        assert any(u["key"] == "canary" and u["value"] == "main" for u in upserts), held
        arrived.append(time.monotonic())

    tasks = [asyncio.create_task(edge(i)) for i in range(edges)]
    # The abort goes once every edge's pull is held (the center's gauge).
    for _ in range(1200):
        await asyncio.sleep(0.1)
        if held_now(port) >= edges:
            break
    else:
        raise SystemExit(f"only {held_now(port)} of {edges} pulls held after 120 s")
    started = time.monotonic()
    body = json.dumps({"jsonrpc": "2.0", "method": "gray.abort", "params": [release, "bench"], "id": 1})
    reply = await exchange(port, body, {"Authorization": auth})
    assert "result" in reply, reply
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    ms = sorted((t - started) * 1000 for t in arrived)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(f"abort_to_main_ms p50 {pick(0.5):.1f} p99 {pick(0.99):.1f} max {ms[-1]:.1f} edges {len(ms)}")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "held":
        held(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        asyncio.run(abort(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
