"""Client function tools through the official OpenAI Python SDK (issue 4, K1-K3, M7).

Run by Tests/GatewayEndToEndTests/OpenAISDKTests.swift against a test gateway whose fake
upstream is scripted to call `get_weather`. Prints one JSON object with what the SDK saw.
Usage: python client_tools.py BASE_URL API_KEY
"""
import json
import sys

from openai import OpenAI

base_url, api_key = sys.argv[1], sys.argv[2]
client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
tools = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}]
messages = [{"role": "user", "content": "weather in Paris?"}]
out = {}

# 1. Non-stream: the run ends with a tool call.
first = client.chat.completions.create(model="openclaw", messages=messages, tools=tools, user="sdk")
choice = first.choices[0]
out["finish_reason"] = choice.finish_reason
call = choice.message.tool_calls[0]
out["call"] = {"id": call.id, "name": call.function.name, "arguments": json.loads(call.function.arguments)}

# 2. The follow-up with the tool result continues the conversation.
messages.append(choice.message.model_dump(exclude_none=True))
messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"})
second = client.chat.completions.create(model="openclaw", messages=messages, tools=tools, user="sdk")
out["answer"] = second.choices[0].message.content
out["answer_finish_reason"] = second.choices[0].finish_reason

# 3. Stream: tool call deltas assembled the way SDK users do it.
stream = client.chat.completions.create(
    model="openclaw", messages=[{"role": "user", "content": "and in Oslo?"}], tools=tools, stream=True)
calls, finish = {}, None
for chunk in stream:
    if not chunk.choices:
        continue
    delta = chunk.choices[0].delta
    for tc in delta.tool_calls or []:
        entry = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
        if tc.id:
            entry["id"] = tc.id
        if tc.function and tc.function.name:
            entry["name"] += tc.function.name
        if tc.function and tc.function.arguments:
            entry["arguments"] += tc.function.arguments
    finish = chunk.choices[0].finish_reason or finish
out["stream_calls"] = [
    {"id": c["id"], "name": c["name"], "arguments": json.loads(c["arguments"])} for _, c in sorted(calls.items())
]
out["stream_finish_reason"] = finish
print(json.dumps(out, sort_keys=True))
