"""Fake LLM providers for the HTTP client tests: OpenAI, Anthropic, Ollama.

Each fake is an HTTP/1.1 server on 127.0.0.1 (port 0, the OS picks) that the test
process starts in a daemon thread. It is strict: it refuses, with the provider's own
status and error body, what the real service refuses (missing or wrong key, missing
version header, wrong content type, missing or mistyped fields, out-of-range values,
unknown parameters), so a client that passes here sends what the real service accepts.
Everything it receives is recorded (see _http.Request).

    with OpenAIFake(api_key="sk-test") as llm:           # or AnthropicFake, OllamaFake
        llm.status(429, retry_after=2).answer("hello")   # script the next 2 requests
        ...run the client against llm.base_url...
        reqs = llm.wait_for_requests(2, timeout=10)
        assert reqs[1].json["messages"][0]["role"] == "system"

Scripting. Each scripted behaviour applies to one request, in order; when the script
is empty the fake answers normally, with `text` (given to the constructor) or, if none,
"echo: " and the text of the last user message. A request the real service would refuse
is refused whatever the script says, and does not use up a scripted behaviour: the
script is about what happens to requests the service accepts.

    answer(text, prompt_tokens=, completion_tokens=, finish=)   normal answer; streamed
                                  word by word if the request asked for a stream;
                                  finish: "stop", "length" or the provider's own value
    stream(chunks, interval=0)    these exact content chunks (joined if not streaming)
    status(code, body=None, headers=None, retry_after=None)
                                  an error answer; body None: the provider's own shape
                                  for that status (429 carries Retry-After)
    rate_limited(retry_after=1), overloaded(), server_error(), context_length_exceeded()
    hang()                        accept, answer nothing until close or client leaves
    close_mid_stream(after_chunks, text=None)  stream that many content chunks, then
                                  close the connection (non-streaming: half the body,
                                  then close)
    error_mid_stream(after_chunks, code=500, text=None)  the provider's in-stream error
                                  event after that many chunks (non-streaming: status)
    malformed()                   200 with a body that is not valid JSON
    huge(nbytes)                  a valid 200 answer of nbytes (streaming: at least
                                  nbytes; never fewer bytes than the smallest answer)
Every scripting method returns the fake, so they chain: status(500).answer("ok").
pending() says how many scripted behaviours are left.

Tokens are counted as whitespace-separated words (count_tokens), deterministically, so a
test can assert usage and budgets: prompt tokens are the words of every message (and
Anthropic's system), completion tokens the words of the answer. max_tokens (or
max_completion_tokens, Ollama's options.num_predict) cuts the answer to that many words
with the provider's "length" stop reason; stop sequences cut it too.
`context_window=N` makes the fake refuse prompts of more than N tokens with the
provider's context-length error. `models=[...]` makes it refuse other models (404).
OpenAIFake refuses n != 1, which the real API accepts: the fake answers one choice.

Where the shapes come from (read, not copied):
* OpenAI: openai-python (github.com/openai/openai-python, snapshot of 2026-08-21)
  src/openai/types/chat/chat_completion.py, chat_completion_chunk.py,
  chat_completion_message.py, completion_usage.py, completion_create_params.py,
  chat_completion_stream_options_param.py (include_usage: extra chunk with empty
  choices; other chunks carry "usage": null; include_obfuscation), _streaming.py (SSE
  "data:" lines, [DONE], an "error" object inside the stream), _base_client.py
  (retry-after-ms / retry-after, x-should-retry). The API reference
  platform.openai.com/docs/api-reference/chat/create (temperature 0..2) and the error
  codes guide developers.openai.com/docs/guides/error-codes. Error bodies as the API
  returns them, quoted in issues: openai/openai-python#1434 (no key),
  continuedev/continue#9358 (invalid_api_key), chathub-dev/chathub#126
  (context_length_exceeded), CopilotKit/CopilotKit#529 (empty_array),
  SilasMarvin/lsp-ai#108 and Leon-Sander/Local-Multimodal-AI-Chat#43
  (missing_required_parameter), ChatGPTNextWeb/NextChat#4064 (unparsable JSON),
  davidmigloz/langchain_dart#712 (Unrecognized request argument supplied),
  lobehub/lobehub#6735 (stream_options without stream), temperature
  decimal_above_max_value as quoted in public test fixtures, continuedev/continue#11472
  (429 rate limit message).
* Anthropic: anthropic-sdk-python (github.com/anthropics/anthropic-sdk-python,
  snapshot of 2026-08-07) src/anthropic/types/message.py, usage.py,
  raw_message_start_event.py, raw_content_block_start_event.py,
  raw_content_block_delta_event.py, raw_content_block_stop_event.py,
  raw_message_delta_event.py, message_delta_usage.py, raw_message_stop_event.py,
  text_delta.py, stop_reason.py, message_create_params.py (max_tokens, temperature
  0.0..1.0, system as string or text blocks), shared/error_response.py and
  shared/error_type.py, _streaming.py (event names, ping, error events), _client.py
  (x-api-key, anthropic-version: 2023-06-01). The API reference
  docs.claude.com/en/api/errors (status -> error type, request_id) and
  docs.claude.com/en/docs/build-with-claude/streaming (event order). Messages as the
  API returns them, quoted in issues: n8n-io/n8n#37930 (x-api-key header is required),
  Pasta-Devs/Marinara-Engine#120 (anthropic-version: header is required),
  eyaltoledano/claude-task-master#222 (invalid x-api-key), tickernelz/opencode-mem#50
  (max_tokens: Field required), amrit110/oli#7 (Extra inputs are not permitted),
  tonyljx/TextWordExplain#2 (first message must use the "user" role),
  writingmate/chatlabs#35 (non-empty content), anthropics/claude-code#12186 (prompt is
  too long: N tokens > 200000 maximum), anthropics/claude-code#9586 (The request body
  is not valid JSON: ...), anthropics/anthropic-sdk-python#893 (temperature range),
  docs.llmgateway.io (529 "Overloaded").
* Ollama: ollama (github.com/ollama/ollama, snapshot of 2026-08-21) docs/api.md
  ("Generate a chat completion"), docs/api/streaming.mdx (NDJSON,
  application/x-ndjson), docs/api/errors.mdx ({"error": ...}, errors inside a stream),
  api/types.go (ChatRequest: stream defaults to true; ChatResponse and Metrics;
  Options.FromMap: unknown options ignored, mistyped ones refused), server/routes.go
  ChatHandler ("missing request body", "model is required", "model '%s' not found"
  404, empty messages answer done_reason "load"), server/sched.go (ErrMaxQueue),
  llm/llama_server.go ("the input length exceeds the context length").
"""

import json
import random
import re
import string
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Optional

from ._http import FakeServer

__all__ = ["OpenAIFake", "AnthropicFake", "OllamaFake", "count_tokens", "split_chunks"]


# ---------------------------------------------------------------------------------------
# Tokens and text: deterministic, so that tests can assert usage and budgets


def count_tokens(text):
    """The fake's token count of text: its whitespace-separated words."""
    return len(text.split())


def split_chunks(text):
    """The stream chunks of text: one word each, with the whitespace around it, so that
    joining the chunks gives text back."""
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


def _cut(text, max_tokens, stops):
    """Apply stop sequences then max_tokens to text.

    Returns (text, reason, sequence): reason is "stop", "stop_sequence" (sequence is
    the one found) or "length" (cut at max_tokens words)."""
    reason, sequence = "stop", None
    found = [(text.find(s), s) for s in stops if s and s in text]
    if found:
        at, sequence = min(found)
        text, reason = text[:at], "stop_sequence"
    if max_tokens is not None and count_tokens(text) > max_tokens:
        words = split_chunks(text)
        text, reason, sequence = "".join(words[:max_tokens]).rstrip(), "length", None
    return text, reason, sequence


def _random_id(n):
    return "".join(random.choices(string.ascii_letters + string.digits, k=n))


# ---------------------------------------------------------------------------------------
# What a request asked for, once validated, and what the script says to do with it


@dataclass
class Call:
    """A validated request, reduced to what the fakes need to answer it."""

    model: str
    prompt_tokens: int
    last_user: str              # text of the last user message ("echo" default answer)
    stream: bool
    max_tokens: Optional[int] = None
    stops: list = field(default_factory=list)
    include_usage: bool = False         # OpenAI stream_options.include_usage
    obfuscation: bool = True            # OpenAI stream_options.include_obfuscation
    id: str = ""
    created: int = 0


@dataclass
class Behaviour:
    """One scripted reaction, for one request (see the module docstring)."""

    kind: str                   # answer status context hang cut error malformed huge
    text: Optional[str] = None
    chunks: Optional[list] = None
    code: int = 200
    body: Any = None
    headers: Optional[dict] = None
    after: int = 0
    size: int = 0
    interval: float = 0.0
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    finish: Optional[str] = None


@dataclass
class Plan:
    """The answer to send: content chunks, neutral stop reason, token counts."""

    chunks: list
    reason: str                 # "stop", "length", "stop_sequence" or a provider value
    sequence: Optional[str]
    prompt_tokens: int
    completion_tokens: int

    @property
    def text(self):
        return "".join(self.chunks)


class Refused(Exception):
    """A request the real service refuses: status and the provider's body."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


# ---------------------------------------------------------------------------------------
# The part common to the three providers


class _LLMFake(FakeServer):
    """Scripting, dispatch and streaming; a provider subclass says what goes on the wire.

    A subclass defines: endpoint, validate(request) -> Call (raises Refused),
    error(code, message=None) -> (body, headers), context_error(call),
    message_body(call, plan), stream_pieces(call, plan) -> [(kind, bytes)] where kind is
    "head", "chunk" (one per content chunk) or "tail", stream_error(code),
    stream_content_type, send_not_found(h, request)."""

    endpoint = "/"
    stream_content_type = "text/event-stream; charset=utf-8"
    json_content_type = "application/json"
    overload_code = 503

    def __init__(self, text=None, models=None, context_window=None):
        self.text = text
        self.models = set(models) if models else None
        self.context_window = context_window
        self._script = deque()
        super().__init__()

    # -- scripting ------------------------------------------------------------------

    def _push(self, behaviour):
        with self._cond:
            self._script.append(behaviour)
        return self

    def pending(self):
        """How many scripted behaviours are still waiting for a request."""
        with self._cond:
            return len(self._script)

    def answer(self, text, *, prompt_tokens=None, completion_tokens=None, finish=None):
        return self._push(Behaviour("answer", text=text, prompt_tokens=prompt_tokens,
                                    completion_tokens=completion_tokens, finish=finish))

    def stream(self, chunks, *, interval=0.0, prompt_tokens=None, completion_tokens=None,
               finish=None):
        return self._push(Behaviour("answer", chunks=list(chunks), interval=interval,
                                    prompt_tokens=prompt_tokens,
                                    completion_tokens=completion_tokens, finish=finish))

    def status(self, code, body=None, headers=None, *, retry_after=None):
        headers = dict(headers or {})
        given = {name.lower() for name in headers}
        if retry_after is None and code == 429 and body is None:
            retry_after = 1
        if retry_after is not None and "retry-after" not in given:
            headers["retry-after"] = str(retry_after)
        return self._push(Behaviour("status", code=code, body=body, headers=headers))

    def rate_limited(self, retry_after=1):
        return self.status(429, retry_after=retry_after)

    def overloaded(self):
        return self.status(self.overload_code)

    def server_error(self):
        return self.status(500)

    def context_length_exceeded(self):
        return self._push(Behaviour("context"))

    def hang(self):
        return self._push(Behaviour("hang"))

    def close_mid_stream(self, after_chunks, text=None):
        return self._push(Behaviour("cut", after=after_chunks, text=text))

    def error_mid_stream(self, after_chunks, code=500, text=None):
        return self._push(Behaviour("error", after=after_chunks, code=code, text=text))

    def malformed(self):
        return self._push(Behaviour("malformed"))

    def huge(self, nbytes):
        return self._push(Behaviour("huge", size=nbytes))

    # -- dispatch -------------------------------------------------------------------

    def handle(self, h, request):
        if request.method != "POST" or request.path.split("?")[0] != self.endpoint:
            return self.send_not_found(h, request)
        try:
            call = self.validate(request)
            call.id, call.created = self.new_id(), int(time.time())
            if self.context_window is not None and call.prompt_tokens > self.context_window:
                raise Refused(400, *self.context_error(call))
        except Refused as refusal:
            return self._send(h, refusal.status, refusal.body, refusal.headers)
        with self._cond:
            behaviour = self._script.popleft() if self._script else Behaviour("answer")
        self._perform(h, call, behaviour)

    def _send(self, h, status, body, headers=None):
        """An answer with a JSON (or raw bytes) body; reason phrase for 529 too."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_bytes(status, data, content_type=self.json_content_type,
                     headers=list((headers or {}).items()) + self.extra_headers(),
                     reason="Overloaded" if status == 529 else None)

    def extra_headers(self):
        return []

    def _perform(self, h, call, b):
        if b.kind == "hang":
            return h.hang()
        if b.kind == "status":
            body, headers = (b.body, {}) if b.body is not None else self.error(b.code)
            if isinstance(body, str):
                body = body.encode()
            return self._send(h, b.code, body, {**headers, **b.headers})
        if b.kind == "context":
            return self._send(h, 400, *self.context_error(call))
        if b.kind == "malformed":
            return self._send_malformed(h, call)
        if b.kind == "huge":
            return self._send_huge(h, call, b.size)
        plan = self._plan(call, b)
        if call.stream:
            return self._send_stream(h, call, plan, b)
        if b.kind == "error":
            return self._send(h, b.code, *self.error(b.code))
        body = json.dumps(self.message_body(call, plan)).encode()
        if b.kind == "cut":
            return self._send_truncated(h, body)
        self._send(h, 200, body)

    def _plan(self, call, b):
        if b.chunks is not None:
            chunks, reason, sequence = b.chunks, b.finish or "stop", None
        else:
            text = b.text if b.text is not None else self.default_text(call)
            text, reason, sequence = _cut(text, call.max_tokens, call.stops)
            chunks = split_chunks(text)
            reason = b.finish or reason
        completion = count_tokens("".join(chunks))
        return Plan(chunks=chunks, reason=reason, sequence=sequence,
                    prompt_tokens=b.prompt_tokens if b.prompt_tokens is not None
                    else call.prompt_tokens,
                    completion_tokens=b.completion_tokens if b.completion_tokens is not None
                    else completion)

    def default_text(self, call):
        return self.text if self.text is not None else f"echo: {call.last_user}"

    # -- the faulty answers ---------------------------------------------------------

    def _send_stream(self, h, call, plan, b):
        """Stream the plan; cut or error after b.after chunks if the script says so."""
        h.start_chunked(200, self.stream_content_type, self.extra_headers())
        sent = 0
        for kind, piece in self.stream_pieces(call, plan):
            if kind != "head" and b.kind in ("cut", "error") and sent >= b.after:
                if b.kind == "cut":
                    return h.cut()
                h.write_chunk(self.stream_error(b.code))
                return h.end_chunked()
            if kind == "chunk":
                sent += 1
                if b.interval and self.closing.wait(b.interval):
                    return h.cut()
            h.write_chunk(piece)
        h.end_chunked()

    def _send_truncated(self, h, body):
        """Headers promise the whole body; half of it comes, then the connection closes."""
        h.start(200)
        h.send_header("Content-Type", self.json_content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.write(body[:len(body) // 2])
        h.cut()

    def _send_malformed(self, h, call):
        broken = b'{"id": "' + call.id.encode() + b'", "choices": [{"trunc'
        if not call.stream:
            return self._send(h, 200, broken)
        h.start_chunked(200, self.stream_content_type, self.extra_headers())
        h.write_chunk(self.malformed_piece(broken))
        h.end_chunked()

    def malformed_piece(self, broken):
        return b"data: " + broken + b"\n\n"

    def _send_huge(self, h, call, nbytes):
        """A valid answer of nbytes, written in 64 KiB pieces, never whole in memory."""
        if call.stream:
            filler = "x" * 65536
            plan = Plan(chunks=[filler], reason="stop", sequence=None,
                        prompt_tokens=call.prompt_tokens, completion_tokens=1)
            h.start_chunked(200, self.stream_content_type, self.extra_headers())
            pieces = self.stream_pieces(call, plan)
            written = 0
            for kind, piece in pieces:
                if kind == "chunk":
                    while written < nbytes:
                        h.write_chunk(piece)
                        written += len(piece)
                else:
                    h.write_chunk(piece)
                    written += len(piece)
            return h.end_chunked()
        marker = "\u2603FILL\u2603"   # no answer contains a snowman by chance
        plan = Plan(chunks=[marker], reason="stop", sequence=None,
                    prompt_tokens=call.prompt_tokens, completion_tokens=1)
        text = json.dumps(self.message_body(call, plan), ensure_ascii=False)
        head, tail = (part.encode() for part in text.split(marker))
        fill = max(0, nbytes - len(head) - len(tail))
        h.start(200, self.extra_headers())
        h.send_header("Content-Type", self.json_content_type)
        h.send_header("Content-Length", str(len(head) + fill + len(tail)))
        h.end_headers()
        h.write(head)
        block = b"x" * 65536
        while fill > 0:
            h.write(block[:fill])
            fill -= len(block)
        h.write(tail)


def _type_of(value):
    """JSON type of a Python value, in the words the error messages use."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _text_of(content):
    """Text of a message content: a string, or the text of its text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(b.get("text", "") for b in content
                        if isinstance(b, dict) and isinstance(b.get("text"), str))
    return ""


# ---------------------------------------------------------------------------------------
# OpenAI chat completions (also what vLLM, llama.cpp server and Ollama's /v1 serve)

_OPENAI_PARAMS = {
    "messages", "model", "audio", "frequency_penalty", "function_call", "functions",
    "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata",
    "modalities", "moderation", "n", "parallel_tool_calls", "prediction",
    "presence_penalty", "prompt_cache_key", "prompt_cache_options",
    "prompt_cache_retention", "reasoning_effort", "response_format", "safety_identifier",
    "seed", "service_tier", "stop", "store", "stream", "stream_options", "temperature",
    "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
    "web_search_options",
}
_OPENAI_ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_OPENAI_NO_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you "
    "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but "
    "what was sent was not valid JSON. If you have trouble figuring out how to fix this, "
    "please contact us through our help center at help.openai.com.)")
_OPENAI_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
    "field (with blank username) if you're accessing the API from your browser and are "
    "prompted for a username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys.")


def _oa_error(message, type_="invalid_request_error", param=None, code=None):
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _oa_refuse(message, param=None, code=None, status=400, type_="invalid_request_error"):
    return Refused(status, _oa_error(message, type_, param, code))


def _oa_type(param, value, expected):
    return _oa_refuse(f"Invalid type for '{param}': expected {expected}, but got "
                      f"{_article(_type_of(value))} instead.", param, "invalid_type")


def _article(word):
    return ("an " if word[0] in "aeiou" else "a ") + word


class OpenAIFake(_LLMFake):
    """POST /v1/chat/completions as api.openai.com answers it.

    api_key: the key the client must send as "Authorization: Bearer <key>"; None turns
    authentication off (vLLM, llama.cpp server and Ollama's /v1 run without a key by
    default). models: accepted model names, None for any."""

    name = "openai-fake"
    endpoint = "/v1/chat/completions"
    overload_code = 503

    def __init__(self, api_key="sk-test", text=None, models=None, context_window=None):
        self.api_key = api_key
        super().__init__(text=text, models=models, context_window=context_window)

    def new_id(self):
        return "chatcmpl-" + _random_id(29)

    def extra_headers(self):
        return [("x-request-id", "req_" + _random_id(32))]

    def send_not_found(self, h, request):
        self._send(h, 404, _oa_error(f"Invalid URL ({request.method} {request.path})"))

    # -- refusals -------------------------------------------------------------------

    def validate(self, request):
        self._check_key(request.headers.get("authorization"))
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = request.json
        if ctype != "application/json" or not isinstance(body, dict):
            raise _oa_refuse(_OPENAI_NO_JSON)
        for key in body:
            if key not in _OPENAI_PARAMS:
                raise _oa_refuse(f"Unrecognized request argument supplied: {key}")
        model = self._check_model(body.get("model"))
        prompt_tokens, last_user = self._check_messages(body.get("messages"))
        self._check_number("temperature", body.get("temperature"), 0, 2)
        self._check_number("top_p", body.get("top_p"), 0, 1)
        max_tokens = self._check_max_tokens(body)
        stream = self._check_bool("stream", body.get("stream"))
        include_usage, obfuscation = self._check_stream_options(body.get("stream_options"),
                                                                stream)
        n = body.get("n")
        if n is not None and n != 1:
            raise _oa_refuse("fake: only n=1 is implemented", "n")
        return Call(model=model, prompt_tokens=prompt_tokens, last_user=last_user,
                    stream=stream, max_tokens=max_tokens,
                    stops=self._check_stop(body.get("stop")),
                    include_usage=include_usage, obfuscation=obfuscation)

    def _check_key(self, header):
        if self.api_key is None:
            return
        scheme, _, key = (header or "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise _oa_refuse(_OPENAI_NO_KEY, status=401)
        if key != self.api_key:
            shown = key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else key
            raise _oa_refuse(f"Incorrect API key provided: {shown}. You can find your API "
                             "key at https://platform.openai.com/account/api-keys.",
                             code="invalid_api_key", status=401)

    def _check_model(self, model):
        if model is None or model == "":
            raise _oa_refuse("you must provide a model parameter")
        if not isinstance(model, str):
            raise _oa_type("model", model, "a string")
        if self.models is not None and model not in self.models:
            raise _oa_refuse(f"The model `{model}` does not exist or you do not have "
                             "access to it.", code="model_not_found", status=404)
        return model

    def _check_messages(self, messages):
        if messages is None:
            raise _oa_refuse("Missing required parameter: 'messages'.", "messages",
                             "missing_required_parameter")
        if not isinstance(messages, list):
            raise _oa_type("messages", messages, "an array of objects")
        if not messages:
            raise _oa_refuse("Invalid 'messages': empty array. Expected an array with "
                             "minimum length 1, but got an empty array instead.",
                             "messages", "empty_array")
        tokens, last_user = 0, ""
        for i, message in enumerate(messages):
            where = f"messages[{i}]"
            if not isinstance(message, dict):
                raise _oa_type(where, message, "an object")
            role = message.get("role")
            if role is None:
                raise _oa_refuse(f"Missing required parameter: '{where}.role'.",
                                 f"{where}.role", "missing_required_parameter")
            if role not in _OPENAI_ROLES:
                supported = ", ".join(f"'{r}'" for r in _OPENAI_ROLES[:-1])
                raise _oa_refuse(f"Invalid value: '{role}'. Supported values are: "
                                 f"{supported}, and '{_OPENAI_ROLES[-1]}'.",
                                 f"{where}.role", "invalid_value")
            content = message.get("content")
            if content is None and role != "assistant":
                raise _oa_refuse(f"Missing required parameter: '{where}.content'.",
                                 f"{where}.content", "missing_required_parameter")
            if content is not None and not isinstance(content, (str, list)):
                raise _oa_type(f"{where}.content", content,
                               "one of a string or array of objects")
            if role == "tool" and "tool_call_id" not in message:
                raise _oa_refuse(f"Missing required parameter: '{where}.tool_call_id'.",
                                 f"{where}.tool_call_id", "missing_required_parameter")
            text = _text_of(content)
            tokens += count_tokens(text)
            if role == "user":
                last_user = text
        return tokens, last_user

    def _check_number(self, param, value, low, high):
        if value is None:
            return
        if not _is_number(value):
            raise _oa_type(param, value, "a decimal")
        if value > high:
            raise _oa_refuse(f"Invalid '{param}': decimal above maximum value. Expected a "
                             f"value <= {high}, but got {json.dumps(value)} instead.",
                             param, "decimal_above_max_value")
        if value < low:
            raise _oa_refuse(f"Invalid '{param}': decimal below minimum value. Expected a "
                             f"value >= {low}, but got {json.dumps(value)} instead.",
                             param, "decimal_below_min_value")

    def _check_max_tokens(self, body):
        limits = []
        for param in ("max_completion_tokens", "max_tokens"):
            value = body.get(param)
            if value is None:
                continue
            if not _is_integer(value):
                raise _oa_type(param, value, "an integer")
            if value < 1:
                raise _oa_refuse(f"Invalid '{param}': integer below minimum value. "
                                 f"Expected a value >= 1, but got {value} instead.",
                                 param, "integer_below_min_value")
            limits.append(value)
        return min(limits) if limits else None

    def _check_bool(self, param, value):
        if value is None:
            return False
        if not isinstance(value, bool):
            raise _oa_type(param, value, "a boolean")
        return value

    def _check_stream_options(self, options, stream):
        if options is None:
            return False, True
        if not stream:
            raise _oa_refuse("The 'stream_options' parameter is only allowed when 'stream' "
                             "is enabled.", "stream_options")
        if not isinstance(options, dict):
            raise _oa_type("stream_options", options, "an object")
        for key in options:
            if key not in ("include_usage", "include_obfuscation"):
                raise _oa_refuse(f"Unknown parameter: 'stream_options.{key}'.",
                                 f"stream_options.{key}", "unknown_parameter")
        usage = self._check_bool("stream_options.include_usage",
                                 options.get("include_usage"))
        obfuscation = options.get("include_obfuscation", True)
        self._check_bool("stream_options.include_obfuscation", obfuscation)
        return usage, obfuscation

    def _check_stop(self, stop):
        if stop is None:
            return []
        if isinstance(stop, str):
            return [stop]
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise _oa_type("stop", stop, "one of a string or array of strings")
        return stop

    # -- answers --------------------------------------------------------------------

    def error(self, code, message=None):
        """The body api.openai.com sends with status code (docs: error codes guide)."""
        if code == 401:
            return _oa_error(message or "Incorrect API key provided: sk-***. You can "
                             "find your API key at "
                             "https://platform.openai.com/account/api-keys.",
                             code="invalid_api_key"), {}
        if code == 429:
            return _oa_error(message or "Rate limit reached for requests. Please try again "
                             "in 1s. Visit https://platform.openai.com/account/rate-limits "
                             "to learn more.", "requests", code="rate_limit_exceeded"), {}
        if code == 503:
            return _oa_error(message or "The engine is currently overloaded, please try "
                             "again later.", "service_unavailable_error",
                             code="server_is_overloaded"), {}
        if code >= 500:
            return _oa_error(message or "The server had an error while processing your "
                             "request. Sorry about that!", "server_error"), {}
        return _oa_error(message or "Bad request"), {}

    def context_error(self, call):
        window = self.context_window or 128000
        return _oa_error(
            f"This model's maximum context length is {window} tokens. However, your "
            f"messages resulted in {max(call.prompt_tokens, window + 1)} tokens. Please "
            "reduce the length of the messages.", param="messages",
            code="context_length_exceeded"), {}

    def _finish(self, plan):
        return {"length": "length", "stop_sequence": "stop"}.get(plan.reason, plan.reason)

    def _usage(self, plan):
        return {"prompt_tokens": plan.prompt_tokens,
                "completion_tokens": plan.completion_tokens,
                "total_tokens": plan.prompt_tokens + plan.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0,
                                              "rejected_prediction_tokens": 0}}

    def message_body(self, call, plan):
        return {"id": call.id, "object": "chat.completion", "created": call.created,
                "model": call.model,
                "choices": [{"index": 0,
                             "message": {"role": "assistant", "content": plan.text,
                                         "refusal": None, "annotations": []},
                             "logprobs": None, "finish_reason": self._finish(plan)}],
                "usage": self._usage(plan), "service_tier": "default"}

    @staticmethod
    def _sse(obj):
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    def _chunk(self, call, delta, finish=None):
        """A chat.completion.chunk with one choice. With include_usage every chunk has
        "usage": null; the obfuscation padding is on by default (include_obfuscation)."""
        chunk = {"id": call.id, "object": "chat.completion.chunk", "created": call.created,
                 "model": call.model, "service_tier": "default",
                 "choices": [{"index": 0, "delta": delta, "logprobs": None,
                              "finish_reason": finish}]}
        if call.obfuscation:
            chunk["obfuscation"] = _random_id(random.randint(1, 12))
        if call.include_usage:
            chunk["usage"] = None
        return chunk

    def stream_pieces(self, call, plan):
        yield "head", self._sse(self._chunk(call, {"role": "assistant", "content": "",
                                                   "refusal": None}))
        for text in plan.chunks:
            yield "chunk", self._sse(self._chunk(call, {"content": text}))
        yield "tail", self._sse(self._chunk(call, {}, self._finish(plan)))
        if call.include_usage:   # the extra last chunk: no choices, the usage
            yield "tail", self._sse({
                "id": call.id, "object": "chat.completion.chunk", "created": call.created,
                "model": call.model, "service_tier": "default", "choices": [],
                "usage": self._usage(plan)})
        yield "tail", b"data: [DONE]\n\n"

    def stream_error(self, code):
        body, _ = self.error(code)
        return b"data: " + json.dumps(body).encode() + b"\n\n"


# ---------------------------------------------------------------------------------------
# Anthropic Messages

_ANTHROPIC_PARAMS = {
    "max_tokens", "messages", "model", "cache_control", "container", "inference_geo",
    "metadata", "output_config", "service_tier", "stop_sequences", "stream", "system",
    "temperature", "thinking", "tool_choice", "tools", "top_k", "top_p",
}
_ANTHROPIC_VERSIONS = ("2023-06-01", "2023-01-01")
_ANTHROPIC_ERRORS = {   # docs.claude.com/en/api/errors: status -> error type
    400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
    403: "permission_error", 404: "not_found_error", 413: "request_too_large",
    429: "rate_limit_error", 500: "api_error", 504: "timeout_error",
    529: "overloaded_error",
}
_ANTHROPIC_MESSAGES = {
    400: "Invalid request", 401: "invalid x-api-key", 402: "Your credit balance is too low "
    "to access the Anthropic API.", 403: "Your API key does not have permission to use "
    "the specified resource.", 404: "Not found", 413: "Request exceeds the maximum "
    "allowed number of bytes.", 429: "This request would exceed the rate limit for your "
    "organization of 50 requests per minute. For details, refer to: "
    "https://docs.claude.com/en/api/rate-limits.", 500: "Internal server error",
    504: "Request timed out", 529: "Overloaded",
}


def _an_error(status, message=None):
    kind = _ANTHROPIC_ERRORS.get(status) or (
        "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error",
            "error": {"type": kind, "message": message or _ANTHROPIC_MESSAGES.get(
                status, "Internal server error" if status >= 500 else "Invalid request")},
            "request_id": "req_" + _random_id(24)}


def _an_refuse(message, status=400):
    return Refused(status, _an_error(status, message))


class AnthropicFake(_LLMFake):
    """POST /v1/messages as api.anthropic.com answers it.

    api_key: the key the client must send as "x-api-key"; None turns the check off.
    first_user: refuse a conversation that does not start with a user message (the
    rule of the API until 2024, still that of Bedrock; a client that keeps it works
    everywhere)."""

    name = "anthropic-fake"
    endpoint = "/v1/messages"
    overload_code = 529

    def __init__(self, api_key="sk-ant-test", text=None, models=None, context_window=None,
                 first_user=True):
        self.api_key = api_key
        self.first_user = first_user
        super().__init__(text=text, models=models, context_window=context_window)

    def new_id(self):
        return "msg_01" + _random_id(22)

    def extra_headers(self):
        return [("request-id", "req_" + _random_id(24))]

    def send_not_found(self, h, request):
        self._send(h, 404, _an_error(404, "Not Found"))

    # -- refusals -------------------------------------------------------------------

    def validate(self, request):
        key = request.headers.get("x-api-key")
        if self.api_key is not None and not key:
            raise _an_refuse("x-api-key header is required", 401)
        if self.api_key is not None and key != self.api_key:
            raise _an_refuse("invalid x-api-key", 401)
        version = request.headers.get("anthropic-version")
        if not version:
            raise _an_refuse("anthropic-version: header is required")
        if version not in _ANTHROPIC_VERSIONS:
            raise _an_refuse(f"anthropic-version: invalid version '{version}'")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise _an_refuse("content-type: must be application/json")
        body = self._parse(request.body)
        for key in body:
            if key not in _ANTHROPIC_PARAMS:
                raise _an_refuse(f"{key}: Extra inputs are not permitted")
        model = self._check_model(body.get("model", ...))
        max_tokens = self._check_max_tokens(body.get("max_tokens", ...))
        tokens, last_user = self._check_messages(body.get("messages", ...))
        tokens += self._check_system(body.get("system"))
        self._check_range("temperature", body.get("temperature"), 0, 1)
        self._check_range("top_p", body.get("top_p"), 0, 1)
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise _an_refuse("stream: Input should be a valid boolean")
        return Call(model=model, prompt_tokens=tokens, last_user=last_user, stream=stream,
                    max_tokens=max_tokens,
                    stops=self._check_stops(body.get("stop_sequences")))

    @staticmethod
    def _parse(raw):
        try:
            body = json.loads(raw)
        except ValueError as err:   # the API names the parser's complaint and position
            raise _an_refuse(f"The request body is not valid JSON: {err}") from None
        if not isinstance(body, dict):
            raise _an_refuse("body: Input should be a valid dictionary")
        return body

    def _check_model(self, model):
        if model is ...:
            raise _an_refuse("model: Field required")
        if not isinstance(model, str):
            raise _an_refuse("model: Input should be a valid string")
        if self.models is not None and model not in self.models:
            raise _an_refuse(f"model: {model}", 404)
        return model

    def _check_max_tokens(self, value):
        if value is ...:
            raise _an_refuse("max_tokens: Field required")
        if not _is_integer(value):
            raise _an_refuse("max_tokens: Input should be a valid integer")
        if value < 0:
            raise _an_refuse("max_tokens: Input should be greater than or equal to 0")
        return value

    def _check_messages(self, messages):
        if messages is ...:
            raise _an_refuse("messages: Field required")
        if not isinstance(messages, list):
            raise _an_refuse("messages: Input should be a valid list")
        if not messages:
            raise _an_refuse("messages: at least one message is required")
        tokens, last_user = 0, ""
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                raise _an_refuse(f"messages.{i}: Input should be a valid dictionary")
            for key in message:
                if key not in ("role", "content"):
                    raise _an_refuse(f"messages.{i}.{key}: Extra inputs are not permitted")
            role = message.get("role")
            if role is None:
                raise _an_refuse(f"messages.{i}.role: Field required")
            if role not in ("user", "assistant"):
                raise _an_refuse(
                    f"messages.{i}.role: Input should be 'user' or 'assistant'")
            text = self._check_content(f"messages.{i}.content", message.get("content", ...))
            last = i == len(messages) - 1
            if not text.strip() and not (last and role == "assistant") and \
                    not self._has_non_text_block(message.get("content")):
                raise _an_refuse("messages: all messages must have non-empty content "
                                 "except for the optional final assistant message")
            tokens += count_tokens(text)
            if role == "user":
                last_user = text
        if self.first_user and messages[0]["role"] != "user":
            raise _an_refuse('messages: first message must use the "user" role')
        return tokens, last_user

    def _check_content(self, where, content):
        if content is ...:
            raise _an_refuse(f"{where}: Field required")
        if isinstance(content, str):
            return content
        if not isinstance(content, list):
            raise _an_refuse(f"{where}: Input should be a valid list")
        for j, block in enumerate(content):
            if not isinstance(block, dict) or "type" not in block:
                raise _an_refuse(f"{where}.{j}.type: Field required")
            if block["type"] == "text" and not isinstance(block.get("text"), str):
                raise _an_refuse(f"{where}.{j}.text: Field required")
        return _text_of(content)

    @staticmethod
    def _has_non_text_block(content):
        return isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") != "text" for b in content)

    def _check_system(self, system):
        if system is None:
            return 0
        if isinstance(system, list):
            self._check_content("system", system)
            return count_tokens(_text_of(system))
        if not isinstance(system, str):
            raise _an_refuse("system: Input should be a valid string")
        return count_tokens(system)

    def _check_range(self, param, value, low, high):
        if value is None:
            return
        if not _is_number(value):
            raise _an_refuse(f"{param}: Input should be a valid number")
        if not low <= value <= high:
            raise _an_refuse(f"{param}: range: {low}..{high}")

    def _check_stops(self, stops):
        if stops is None:
            return []
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise _an_refuse("stop_sequences: Input should be a valid list")
        return stops

    # -- answers --------------------------------------------------------------------

    def error(self, code, message=None):
        return _an_error(code, message), {}

    def context_error(self, call):
        window = self.context_window or 200000
        return _an_error(400, f"prompt is too long: {max(call.prompt_tokens, window + 1)} "
                              f"tokens > {window} maximum"), {}

    def _stop_reason(self, plan):
        return {"stop": "end_turn", "length": "max_tokens"}.get(plan.reason, plan.reason)

    def _message(self, call, content, stop_reason, stop_sequence, input_tokens,
                 output_tokens):
        return {"id": call.id, "type": "message", "role": "assistant", "model": call.model,
                "content": content, "stop_reason": stop_reason,
                "stop_sequence": stop_sequence,
                "usage": {"input_tokens": input_tokens, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 0, "output_tokens": output_tokens,
                          "service_tier": "standard"}}

    def message_body(self, call, plan):
        content = [{"type": "text", "text": plan.text}] if plan.chunks else []
        return self._message(call, content, self._stop_reason(plan), plan.sequence,
                             plan.prompt_tokens, plan.completion_tokens)

    @staticmethod
    def _event(name, data):
        return b"event: %s\ndata: %s\n\n" % (name.encode(), json.dumps(data).encode())

    def stream_pieces(self, call, plan):
        start = self._message(call, [], None, None, plan.prompt_tokens, 1)
        yield "head", self._event("message_start", {"type": "message_start",
                                                    "message": start})
        yield "head", self._event("content_block_start", {
            "type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}})
        yield "head", self._event("ping", {"type": "ping"})
        for text in plan.chunks:
            yield "chunk", self._event("content_block_delta", {
                "type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": text}})
        yield "tail", self._event("content_block_stop", {"type": "content_block_stop",
                                                         "index": 0})
        yield "tail", self._event("message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": self._stop_reason(plan),
                      "stop_sequence": plan.sequence},
            "usage": {"output_tokens": plan.completion_tokens}})
        yield "tail", self._event("message_stop", {"type": "message_stop"})

    def stream_error(self, code):
        body = _an_error(code)
        del body["request_id"]
        return self._event("error", body)

    def malformed_piece(self, broken):
        return b"event: message_start\ndata: " + broken + b"\n\n"


# ---------------------------------------------------------------------------------------
# Ollama native chat

_GO_TYPES = {"model": "string", "messages": "[]api.Message", "stream": "bool",
             "options": "map[string]interface {}", "keep_alive": "api.Duration"}
_OLLAMA_INT_OPTIONS = {"num_predict", "num_ctx", "num_keep", "seed", "top_k",
                       "repeat_last_n", "num_batch", "num_gpu", "main_gpu", "num_thread"}
_OLLAMA_FLOAT_OPTIONS = {"temperature", "top_p", "min_p", "typical_p", "repeat_penalty",
                         "presence_penalty", "frequency_penalty"}


def _go_kind(value):
    """The JSON kind Go's encoding/json names in its unmarshal errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "null")


def _ol_refuse(message, status=400):
    return Refused(status, {"error": message})


class OllamaFake(_LLMFake):
    """POST /api/chat as an Ollama server answers it (no authentication).

    models: the models "pulled" on this server (a name without a tag means ":latest");
    None accepts any model."""

    name = "ollama-fake"
    endpoint = "/api/chat"
    stream_content_type = "application/x-ndjson"
    json_content_type = "application/json; charset=utf-8"
    overload_code = 503

    def __init__(self, text=None, models=("llama3.2",), context_window=None):
        models = {self._full_name(m) for m in models} if models else None
        super().__init__(text=text, models=models, context_window=context_window)

    @staticmethod
    def _full_name(model):
        return model if ":" in model.rsplit("/", 1)[-1] else model + ":latest"

    def new_id(self):
        return _random_id(8)

    def send_not_found(self, h, request):
        # gin's own answer for a route it does not have
        h.send_bytes(404, b"404 page not found", content_type="text/plain")

    # -- refusals -------------------------------------------------------------------

    def validate(self, request):
        if not request.body:
            raise _ol_refuse("missing request body")
        body = request.json
        if body is None:
            raise _ol_refuse(self._json_error(request.body))
        if not isinstance(body, dict):
            raise _ol_refuse(f"json: cannot unmarshal {_go_kind(body)} into Go value of "
                             "type api.ChatRequest")
        self._check_types(body)
        model = body.get("model") or ""
        if not model:
            raise _ol_refuse("model is required")
        if self.models is not None and self._full_name(model) not in self.models:
            raise _ol_refuse(f"model '{model}' not found", 404)
        max_tokens = self._check_options(body.get("options") or {})
        messages = body.get("messages") or []
        tokens = sum(count_tokens(m.get("content") or "") for m in messages)
        users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        stream = body.get("stream")
        call = Call(model=model, prompt_tokens=tokens, last_user=users[-1] if users else "",
                    stream=True if stream is None else stream, max_tokens=max_tokens)
        if not messages:
            # Not a refusal: with no messages Ollama only loads the model and says so.
            raise Refused(200, self._final(call, "", "load", 0, 0, with_metrics=False))
        return call

    @staticmethod
    def _json_error(raw):
        text = raw.decode("utf-8", "replace").lstrip()
        if text and text[0] not in '{["-0123456789tfn':
            return f"invalid character '{text[0]}' looking for beginning of value"
        return "unexpected EOF"

    def _check_types(self, body):
        for key, go_type in _GO_TYPES.items():
            value = body.get(key)
            if value is None or key == "keep_alive":
                continue
            ok = {"model": str, "messages": list, "stream": bool, "options": dict}[key]
            if not isinstance(value, ok):
                raise _ol_refuse(f"json: cannot unmarshal {_go_kind(value)} into Go struct "
                                 f"field ChatRequest.{key} of type {go_type}")
        for message in body.get("messages") or []:
            if not isinstance(message, dict):
                raise _ol_refuse(f"json: cannot unmarshal {_go_kind(message)} into Go "
                                 "struct field ChatRequest.messages of type api.Message")
            for key in ("role", "content"):
                value = message.get(key)
                if value is not None and not isinstance(value, str):
                    raise _ol_refuse(f"json: cannot unmarshal {_go_kind(value)} into Go "
                                     f"struct field Message.messages.{key} of type string")

    def _check_options(self, options):
        """Ollama ignores unknown options and fails (500) on mistyped known ones."""
        for key, value in options.items():
            if value is None:
                continue
            if key in _OLLAMA_INT_OPTIONS and not _is_number(value):
                raise _ol_refuse(f'option "{key}" must be of type integer', 500)
            if key in _OLLAMA_FLOAT_OPTIONS and not _is_number(value):
                raise _ol_refuse(f'option "{key}" must be of type float32', 500)
        limit = options.get("num_predict")
        return int(limit) if limit is not None and limit >= 0 else None

    # -- answers --------------------------------------------------------------------

    def error(self, code, message=None):
        defaults = {429: "too many requests", 503: "server busy, please try again.  "
                    "maximum pending requests exceeded"}
        return {"error": message or defaults.get(
            code, "an error was encountered while running the model")}, {}

    def context_error(self, call):
        return {"error": "the input length exceeds the context length"}, {}

    @staticmethod
    def _now():
        t = time.time()
        micros = int(t % 1 * 1e6)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{micros:06d}Z"

    def _final(self, call, content, reason, prompt_tokens, eval_tokens, with_metrics=True):
        final = {"model": call.model, "created_at": self._now(),
                 "message": {"role": "assistant", "content": content},
                 "done": True, "done_reason": reason}
        if with_metrics:   # durations in nanoseconds, as the API says; fixed, not timed
            final.update({"total_duration": 1_000_000 * (1 + eval_tokens),
                          "load_duration": 100_000, "prompt_eval_count": prompt_tokens,
                          "prompt_eval_duration": 10_000 * max(1, prompt_tokens),
                          "eval_count": eval_tokens,
                          "eval_duration": 1_000_000 * max(1, eval_tokens)})
        return final

    def _reason(self, plan):
        return {"stop_sequence": "stop"}.get(plan.reason, plan.reason)

    def message_body(self, call, plan):
        return self._final(call, plan.text, self._reason(plan), plan.prompt_tokens,
                           plan.completion_tokens)

    @staticmethod
    def _line(obj):
        return json.dumps(obj).encode() + b"\n"

    def stream_pieces(self, call, plan):
        for text in plan.chunks:
            yield "chunk", self._line({"model": call.model, "created_at": self._now(),
                                       "message": {"role": "assistant", "content": text},
                                       "done": False})
        yield "tail", self._line(self._final(call, "", self._reason(plan),
                                             plan.prompt_tokens, plan.completion_tokens))

    def stream_error(self, code):
        return self._line({"error": "an error was encountered while running the model"})

    def malformed_piece(self, broken):
        return broken + b"\n"

