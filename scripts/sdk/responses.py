"""/v1/responses and /v1/models through the official OpenAI Python SDK (issue 5, P, Q).

Run by Tests/GatewayEndToEndTests/OpenAISDKTests.swift against a test gateway whose fake
upstream echoes (`echo: <last message>`) unless scripted. Prints one JSON object.
Usage: python responses.py BASE_URL API_KEY
"""
import json
import sys

from openai import OpenAI

base_url, api_key = sys.argv[1], sys.argv[2]
client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
out = {}

out["models"] = [m.id for m in client.models.list()]
out["model"] = client.models.retrieve("openclaw/main").id

first = client.responses.create(model="openclaw", input="hello", user="sdk")
out["first_text"] = first.output_text
out["first_status"] = first.status
out["first_usage"] = first.usage.total_tokens

second = client.responses.create(model="openclaw", input="again", previous_response_id=first.id, user="sdk")
out["second_text"] = second.output_text

types, deltas, final = [], [], None
with client.responses.stream(model="openclaw", input="streamed") as stream:
    for event in stream:
        types.append(event.type)
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
    final = stream.get_final_response()
out["stream_types"] = types
out["stream_text"] = "".join(deltas)
out["stream_final_text"] = final.output_text

tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]
call_response = client.responses.create(model="openclaw", input="weather in Rome?", tools=tools)
calls = [item for item in call_response.output if item.type == "function_call"]
out["call"] = {"name": calls[0].name, "call_id": calls[0].call_id, "arguments": json.loads(calls[0].arguments)}
follow = client.responses.create(
    model="openclaw",
    previous_response_id=call_response.id,
    input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "hot"}],
    tools=tools,
)
out["follow_text"] = follow.output_text
print(json.dumps(out, sort_keys=True))
