#!/usr/bin/env python3
"""Tokens/second through the gateway vs. the same llama-server called directly (issue 3).

Starts `openclaw gateway` on the embedded local model in a temporary state directory (the
runtime and model come from the shared cache), finds the gateway's own llama-server child in
/proc, and then alternates identical streamed requests: one straight to that llama-server, one
through the gateway. The generation rate of a request is completion_tokens / (time from the first
to the last streamed text chunk), so it measures token delivery, not prompt processing (the
gateway adds its system prompt). Prints each side's median and the ratio gateway/direct.

Usage: scripts/bench-local-model.py [--binary .build/release/openclaw] [--rounds 8] [--max-tokens 128]
Loopback only; stdlib only.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOKEN = "bench-token"


def stream_rate(port, path, body, headers):
    """POSTs a streaming chat completion; returns (tokens/s, completion_tokens, text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status} from port {port}: {resp.read()[:300]!r}")
    first = last = None
    usage = None
    text = []
    buffer = b""
    while True:
        chunk = resp.read1(65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if not line.startswith(b"data: ") or line == b"data: [DONE]":
                    continue
                data = json.loads(line[6:])
                if data.get("usage"):
                    usage = data["usage"]
                for choice in data.get("choices") or []:
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        now = time.perf_counter()
                        first = first or now
                        last = now
                        text.append(content)
    conn.close()
    tokens = (usage or {}).get("completion_tokens", 0)
    if not first or last == first or tokens < 2:
        raise RuntimeError(f"too little output from port {port}: {tokens} tokens")
    # Between the first and the last chunk, tokens-1 tokens were generated.
    return (tokens - 1) / (last - first), tokens, (usage or {}).get("prompt_tokens", 0)


def llama_child_port(gateway_pid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
                comm = stat[stat.index("(") + 1 : stat.rindex(")")]
                ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
                if comm == "llama-server" and ppid == gateway_pid:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        args = f.read().split(b"\0")
                    return int(args[args.index(b"--port") + 1])
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.1)
    raise RuntimeError("the gateway's llama-server child did not appear")


def wait_healthy(port, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("llama-server did not become healthy")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/openclaw")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()

    paths = dict(
        line.split("=", 1)
        for line in subprocess.run(
            ["scripts/setup-local-model.sh", "--print-paths"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    state = tempfile.mkdtemp(prefix="openclaw-bench-")
    config = os.path.join(state, "openclaw.json")
    with open(config, "w") as f:
        json.dump(
            {
                "gateway": {"auth": {"token": TOKEN}, "http": {"endpoints": {"chatCompletions": {"enabled": True}}}},
                "models": {"providers": {"local": {"binary": paths["binary"], "modelPath": paths["model"]}}},
            },
            f,
        )
    gateway = subprocess.Popen(
        [args.binary, "gateway", "--port", "0", "--config", config, "--state-dir", state],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = gateway.stdout.readline().strip()
        gateway_port = int(line.rsplit(":", 1)[1])
        llama_port = llama_child_port(gateway.pid)
        wait_healthy(llama_port)
        prompt = "Write a short story about a lighthouse keeper who befriends a seagull."
        # The direct request carries the same system prompt the gateway sends (see SystemPrompt.swift),
        # so both sides generate with the same context; the prompt token counts are checked below.
        uname = os.uname()
        system = (
            "You are OpenClaw agent `main`, a personal assistant running on its owner's machine.\n\n"
            "## Runtime\n"
            f"Runtime: agent=main | host={socket.gethostname()} | os={uname.sysname.lower()} ({uname.machine}) | "
            "model=local/smollm2-135m-instruct | channel=webchat | capabilities=none | thinking=off\n"
            "Reasoning: off (hidden reasoning is not shown)"
        )
        sampling = {"max_tokens": args.max_tokens, "temperature": 0, "seed": 42, "stream": True,
                    "stream_options": {"include_usage": True}}
        direct_body = {"messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
                       **sampling}
        gateway_body = {"model": "openclaw", "messages": [{"role": "user", "content": prompt}], **sampling}
        # Warm both paths (model load, caches, connection pools).
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for _ in range(2):
            stream_rate(llama_port, "/v1/chat/completions", direct_body, {})
            stream_rate(gateway_port, "/v1/chat/completions", gateway_body, auth)
        direct, through = [], []
        for i in range(args.rounds):
            # No `user`: a fresh gateway session per request, so every round has the same context.
            d, dt, dp = stream_rate(llama_port, "/v1/chat/completions", direct_body, {})
            g, gt, gp = stream_rate(gateway_port, "/v1/chat/completions", gateway_body, auth)
            direct.append(d)
            through.append(g)
            print(f"round {i + 1}: direct {d:7.1f} tok/s ({dt} tokens, prompt {dp})   "
                  f"gateway {g:7.1f} tok/s ({gt} tokens, prompt {gp})")
        md, mg = statistics.median(direct), statistics.median(through)
        print()
        print(f"{'':24}{'direct':>12}{'gateway':>12}{'ratio':>8}")
        print(f"{'median tokens/s':24}{md:12.1f}{mg:12.1f}{mg / md:8.3f}")
        print(f"{'mean tokens/s':24}{statistics.mean(direct):12.1f}{statistics.mean(through):12.1f}"
              f"{statistics.mean(through) / statistics.mean(direct):8.3f}")
        print(f"\n{args.rounds} rounds, max_tokens={args.max_tokens}, same llama-server (port {llama_port}), "
              f"gateway on port {gateway_port}; machine: {os.cpu_count()} CPUs")
        return 0 if mg / md >= 0.95 else 1
    finally:
        gateway.send_signal(signal.SIGTERM)
        try:
            gateway.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gateway.kill()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
