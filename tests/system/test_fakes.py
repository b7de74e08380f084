"""The fakes of remote services (tests/system/fakes) checked against the references.

The C client tests will trust these fakes to behave like OpenAI, Anthropic, Ollama and
a plain HTTP/1.1 file server; these tests are why they can. Each checks, with urllib or
with the curl command (streams, cut connections, resumes, redirects), the shape of
normal and streamed answers, every scripted error's status and body, the refusals of
what the real service refuses, Range answers (RFC 9110), the recording of requests,
that a hung request blocks nothing else, and that a closed fake leaves no thread and no
socket behind. The references behind each shape are cited in the fakes' docstrings.

No test sleeps: they wait for conditions (a request recorded, a request finished, a
process exited), and nothing is asserted about timing except that a throttled transfer
is not faster than its rate, which a slow machine cannot make fail.
"""

import base64
import hashlib
import http.client as http_client
import json
import os
import socket
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from fakes import AnthropicFake, FileServer, OllamaFake, OpenAIFake

SLOW = float(os.environ.get("ZSWARM_TEST_SLOW", "1"))
OA_KEY = "sk-test-0123456789abcdef"
AN_KEY = "sk-ant-test-0123456789"


# ---------------------------------------------------------------------------------------
# Helpers: one request with urllib, curl, SSE and NDJSON parsing


def http(method, url, body=None, headers=None, timeout=10):
    """(status, lowercased headers, body bytes); an HTTP error is an answer too."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout * SLOW) as resp:
            return resp.status, _lower(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, _lower(err.headers), err.read()


def _lower(headers):
    return {name.lower(): value for name, value in headers.items()}


def curl(*args, data=None, timeout=60):
    """Run curl; (exit status, stdout bytes, stderr text)."""
    proc = subprocess.run(["curl", "-sS", *args], input=data, capture_output=True,
                          timeout=timeout * SLOW)
    return proc.returncode, proc.stdout, proc.stderr.decode()


def curl_popen(*args, data=None):
    proc = subprocess.Popen(["curl", "-sS", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if data is not None:
        proc.stdin.write(data)
    proc.stdin.close()
    return proc


def header_args(headers):
    return [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]


def sse_events(raw):
    """[(event name or None, data text)] of a server-sent event stream."""
    events = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        events.append((name, "\n".join(data)))
    return events


def ndjson(raw):
    return [json.loads(line) for line in raw.decode().splitlines() if line.strip()]


def socket_fds():
    """Open socket descriptors of this process."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                found.add(fd)
        except OSError:
            pass
    return found


def close_and_check(fake):
    """Close the fake; nothing of it may be left running or failing."""
    fake.close()
    assert fake.threads_alive() == []
    assert fake.open_connections() == 0
    assert fake.errors == []


# ---------------------------------------------------------------------------------------
# The three providers behind one small interface, for the tests common to all


class OpenAIClient:
    name = "openai"

    def __init__(self):
        self.fake = OpenAIFake(api_key=OA_KEY)
        self.url = self.fake.url("/v1/chat/completions")
        self.headers = {"Authorization": f"Bearer {OA_KEY}",
                        "Content-Type": "application/json"}

    def body(self, text="hello world", stream=False):
        return {"model": "gpt-4o-mini", "stream": stream,
                "messages": [{"role": "system", "content": "be brief"},
                             {"role": "user", "content": text}]}

    def text(self, obj):
        return obj["choices"][0]["message"]["content"]

    def stream_text(self, raw):
        events = [data for _, data in sse_events(raw) if data != "[DONE]"]
        return "".join(json.loads(d)["choices"][0]["delta"].get("content", "")
                       for d in events if json.loads(d).get("choices"))

    def content_chunks(self, raw):
        return sum(1 for _, d in sse_events(raw) if d != "[DONE]"
                   and json.loads(d).get("choices")
                   and json.loads(d)["choices"][0]["delta"].get("content"))


class AnthropicClient:
    name = "anthropic"

    def __init__(self):
        self.fake = AnthropicFake(api_key=AN_KEY)
        self.url = self.fake.url("/v1/messages")
        self.headers = {"x-api-key": AN_KEY, "anthropic-version": "2023-06-01",
                        "content-type": "application/json"}

    def body(self, text="hello world", stream=False):
        return {"model": "claude-sonnet-4-5", "max_tokens": 1024, "stream": stream,
                "system": "be brief", "messages": [{"role": "user", "content": text}]}

    def text(self, obj):
        return "".join(block["text"] for block in obj["content"])

    def stream_text(self, raw):
        return "".join(json.loads(d)["delta"]["text"] for name, d in sse_events(raw)
                       if name == "content_block_delta")

    def content_chunks(self, raw):
        return sum(1 for name, _ in sse_events(raw) if name == "content_block_delta")


class OllamaClient:
    name = "ollama"

    def __init__(self):
        self.fake = OllamaFake()
        self.url = self.fake.url("/api/chat")
        self.headers = {"Content-Type": "application/json"}

    def body(self, text="hello world", stream=False):
        return {"model": "llama3.2", "stream": stream,
                "messages": [{"role": "system", "content": "be brief"},
                             {"role": "user", "content": text}]}

    def text(self, obj):
        return obj["message"]["content"]

    def stream_text(self, raw):
        return "".join(line["message"]["content"] for line in ndjson(raw))

    def content_chunks(self, raw):
        return sum(1 for line in ndjson(raw) if line.get("done") is False)


CLIENTS = [OpenAIClient, AnthropicClient, OllamaClient]


@pytest.fixture(params=CLIENTS, ids=lambda c: c.name)
def client(request):
    c = request.param()
    yield c
    close_and_check(c.fake)


def post(c, body, headers=None, timeout=10):
    return http("POST", c.url, body, {**c.headers, **(headers or {})}, timeout)


def curl_post(c, body, *extra):
    return curl("-N", "-X", "POST", *header_args(c.headers), "--data-binary", "@-",
                *extra, c.url, data=json.dumps(body).encode())


# ---------------------------------------------------------------------------------------
# Common to the three providers: default answer, scripting, faults, recording


def test_default_answer_echoes_the_last_user_message(client):
    status, _, body = post(client, client.body("tell me a story"))
    assert status == 200
    assert client.text(json.loads(body)) == "echo: tell me a story"


def test_configured_text_is_the_default_answer(client):
    client.fake.text = "always this"
    status, _, body = post(client, client.body())
    assert status == 200 and client.text(json.loads(body)) == "always this"


def test_script_applies_in_order_then_default(client):
    client.fake.server_error().answer("second").stream(["th", "ird"])
    assert post(client, client.body())[0] == 500
    assert client.text(json.loads(post(client, client.body())[2])) == "second"
    assert client.text(json.loads(post(client, client.body())[2])) == "third"
    assert client.text(json.loads(post(client, client.body("x"))[2])) == "echo: x"
    assert client.fake.pending() == 0


def test_stream_sends_the_scripted_chunks(client):
    client.fake.stream(["Hel", "lo", " there"])
    rc, out, err = curl_post(client, client.body(stream=True))
    assert rc == 0, err
    assert client.stream_text(out) == "Hello there"
    assert client.content_chunks(out) == 3


def test_streamed_answer_is_split_into_words(client):
    client.fake.answer("one two three four")
    rc, out, err = curl_post(client, client.body(stream=True))
    assert rc == 0, err
    assert client.stream_text(out) == "one two three four"
    assert client.content_chunks(out) == 4


def test_refused_request_does_not_use_up_the_script(client):
    client.fake.answer("scripted")
    bad = dict(client.body())
    del bad["model"]
    assert post(client, bad)[0] == 400
    assert client.fake.pending() == 1
    assert client.text(json.loads(post(client, client.body())[2])) == "scripted"


def test_close_mid_stream_cuts_after_n_chunks(client):
    client.fake.close_mid_stream(after_chunks=2).answer("a b c d e")
    rc, out, _ = curl_post(client, client.body(stream=True))
    assert rc == 18   # CURLE_PARTIAL_FILE: the chunked body never ended
    assert client.content_chunks(out) == 2
    rc, out, _ = curl_post(client, client.body(stream=True))
    assert rc == 0 and client.stream_text(out) == "a b c d e"


def test_close_mid_stream_of_a_plain_answer_truncates_the_body(client):
    client.fake.close_mid_stream(after_chunks=0)
    rc, out, _ = curl_post(client, client.body())
    assert rc == 18   # fewer bytes than Content-Length announced
    with pytest.raises(ValueError):
        json.loads(out)


def test_malformed_answer_is_200_and_not_json(client):
    client.fake.malformed()
    status, _, body = post(client, client.body())
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)


def test_malformed_stream_has_an_unparsable_event(client):
    client.fake.malformed()
    rc, out, _ = curl_post(client, client.body(stream=True))
    assert rc == 0 and out
    if client.name == "ollama":
        payloads = out.decode().splitlines()
    else:
        payloads = [data for _, data in sse_events(out)]
    assert not all(_parses(p) for p in payloads)


def _parses(text):
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("nbytes", [1000, 5_000_000])
def test_huge_answer_has_the_size_asked_and_stays_valid(client, nbytes):
    client.fake.huge(nbytes)
    status, headers, body = post(client, client.body(), timeout=60)
    assert status == 200
    assert len(body) == nbytes == int(headers["content-length"])
    assert set(client.text(json.loads(body))) == {"x"}


def test_huge_stream_is_at_least_the_size_asked(client):
    client.fake.huge(3_000_000)
    rc, out, err = curl_post(client, client.body(stream=True))
    assert rc == 0, err
    assert len(out) >= 3_000_000
    assert set(client.stream_text(out)) == {"x"}


def test_hang_blocks_nothing_else_and_ends_when_the_client_leaves(client):
    client.fake.hang()
    hung = curl_popen("-X", "POST", *header_args(client.headers), "--data-binary", "@-",
                      client.url, data=json.dumps(client.body("stuck")).encode())
    first = client.fake.wait_for_requests(1)[0]
    status, _, body = post(client, client.body("free"))      # answered meanwhile
    assert status == 200 and client.text(json.loads(body)) == "echo: free"
    assert not first.finished.is_set()
    hung.kill()
    hung.wait()
    first.wait_finished()
    assert first.disconnected and first.status is None
    client.fake.wait_idle()


def test_hang_ends_when_the_fake_closes(client):
    client.fake.hang()
    hung = curl_popen("-X", "POST", *header_args(client.headers), "--data-binary", "@-",
                      client.url, data=json.dumps(client.body()).encode())
    client.fake.wait_for_requests(1)
    close_and_check(client.fake)
    assert hung.wait(timeout=10 * SLOW) == 52   # CURLE_GOT_NOTHING: empty reply


def test_many_requests_at_once_with_one_hung(client):
    client.fake.hang()
    hung = curl_popen("-X", "POST", *header_args(client.headers), "--data-binary", "@-",
                      client.url, data=json.dumps(client.body()).encode())
    client.fake.wait_for_requests(1)
    results = []

    def one(i):
        status, _, body = post(client, client.body(f"n{i}"))
        results.append((status, client.text(json.loads(body))))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30 * SLOW)
    assert sorted(results) == sorted((200, f"echo: n{i}") for i in range(24))
    assert len(client.fake.wait_for_requests(25)) == 25
    hung.kill()
    hung.wait()


def test_requests_are_recorded(client):
    before = client.fake.requests
    body = client.body("record me")
    raw = json.dumps(body).encode()
    status, _, _ = post(client, raw, {"X-Trace-Id": "abc123"})
    assert status == 200 and before == []
    req, = client.fake.wait_for_requests(1)
    req.wait_finished()   # the client may read the answer before the fake counts it
    assert req.method == "POST"
    assert req.path == client.url.split(str(client.fake.port), 1)[1]
    assert req.headers["x-trace-id"] == "abc123"                 # names lowercased
    assert ("X-Trace-Id", "abc123") in req.raw_headers           # as sent
    assert req.body == raw and req.json == body
    assert req.status == 200 and req.bytes_sent > 0
    assert req.time > 0 and req.client[0] == "127.0.0.1"


def test_wait_for_requests_times_out_with_what_it_saw(client):
    with pytest.raises(TimeoutError, match="0 request"):
        client.fake.wait_for_requests(1, timeout=0.2)


def test_error_mid_stream(client):
    client.fake.error_mid_stream(after_chunks=1, code=529).answer("a b c")
    rc, out, _ = curl_post(client, client.body(stream=True))
    assert rc == 0
    if client.name == "openai":
        last = json.loads(sse_events(out)[-1][1])
        assert last["error"]["type"] == "server_error"
        assert "[DONE]" not in out.decode()
    elif client.name == "anthropic":
        name, data = sse_events(out)[-1]
        assert name == "error"
        assert json.loads(data) == {"type": "error", "error": {
            "type": "overloaded_error", "message": "Overloaded"}}
    else:
        assert ndjson(out)[-1] == {
            "error": "an error was encountered while running the model"}
    assert client.content_chunks(out) == 1


def test_unknown_path_is_404(client):
    status, _, body = http("POST", client.fake.url("/v2/nothing"), b"{}",
                           client.headers)
    assert status == 404
    if client.name == "openai":
        assert json.loads(body)["error"]["message"] == "Invalid URL (POST /v2/nothing)"
    elif client.name == "anthropic":
        assert json.loads(body)["error"]["type"] == "not_found_error"
    else:
        assert body == b"404 page not found"


# ---------------------------------------------------------------------------------------
# OpenAI


@pytest.fixture
def openai():
    c = OpenAIClient()
    yield c
    close_and_check(c.fake)


def test_openai_chat_completion_shape(openai):
    status, headers, body = post(openai, openai.body("hello world"))
    assert status == 200 and headers["content-type"] == "application/json"
    obj = json.loads(body)
    assert obj["id"].startswith("chatcmpl-") and obj["object"] == "chat.completion"
    assert isinstance(obj["created"], int) and obj["model"] == "gpt-4o-mini"
    choice, = obj["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"] == "echo: hello world"
    # words: "be brief" + "hello world" in, "echo: hello world" out
    usage = obj["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"],
            usage["total_tokens"]) == (4, 3, 7)


def test_openai_stream_shape_with_usage(openai):
    body = {**openai.body("one two"), "stream": True,
            "stream_options": {"include_usage": True}}
    rc, out, err = curl_post(openai, body, "-D", "/dev/stderr")
    assert rc == 0
    assert "content-type: text/event-stream" in err.lower()
    assert "transfer-encoding: chunked" in err.lower()
    datas = [data for name, data in sse_events(out)]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = [c["choices"][0]["delta"].get("content") for c in chunks[1:-2]]
    assert content == ["echo: ", "one ", "two"]
    finish = chunks[-2]
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["choices"][0]["delta"] == {}
    assert all(c["usage"] is None for c in chunks[:-1])      # null except the last
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3
    assert chunks[-1]["usage"]["prompt_tokens"] == 4


def test_openai_stream_without_usage_has_no_usage_field(openai):
    rc, out, _ = curl_post(openai, openai.body(stream=True))
    chunks = [json.loads(d) for _, d in sse_events(out) if d != "[DONE]"]
    assert rc == 0 and chunks and all("usage" not in c for c in chunks)
    assert all(c["choices"] for c in chunks)


def test_openai_refuses_a_missing_key(openai):
    status, _, body = post(openai, openai.body(), {"Authorization": ""})
    assert status == 401
    error = json.loads(body)["error"]
    assert error["message"].startswith("You didn't provide an API key.")
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error", None, None)


def test_openai_refuses_a_wrong_key_and_masks_it(openai):
    status, _, body = post(openai, openai.body(),
                           {"Authorization": "Bearer sk-wrong-key-1234"})
    error = json.loads(body)["error"]
    assert status == 401 and error["code"] == "invalid_api_key"
    assert error["message"].startswith("Incorrect API key provided: sk-")
    assert "wrong-key" not in error["message"] and "1234" in error["message"]


def test_openai_without_a_key_accepts_anyone():
    with OpenAIFake(api_key=None) as fake:
        status, _, _ = http("POST", fake.url("/v1/chat/completions"),
                            {"model": "m", "messages": [{"role": "user", "content": "x"}]},
                            {"Content-Type": "application/json"})
        assert status == 200
    close_and_check(fake)


def _good_openai():
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


OPENAI_REFUSALS = [
    # (what the body becomes, message start, param, code)
    ("not json", "We could not parse the JSON body", None, None),
    ({"messages": [{"role": "user", "content": "hi"}]},
     "you must provide a model parameter", None, None),
    ({"model": 4, "messages": []}, "Invalid type for 'model'", "model", "invalid_type"),
    ({"model": "m"}, "Missing required parameter: 'messages'.", "messages",
     "missing_required_parameter"),
    ({"model": "m", "messages": "hi"}, "Invalid type for 'messages'", "messages",
     "invalid_type"),
    ({"model": "m", "messages": []}, "Invalid 'messages': empty array.", "messages",
     "empty_array"),
    ({"model": "m", "messages": [{"content": "x"}]},
     "Missing required parameter: 'messages[0].role'.", "messages[0].role",
     "missing_required_parameter"),
    ({"model": "m", "messages": [{"role": "robot", "content": "x"}]},
     "Invalid value: 'robot'. Supported values are:", "messages[0].role", "invalid_value"),
    ({"model": "m", "messages": [{"role": "user"}]},
     "Missing required parameter: 'messages[0].content'.", "messages[0].content",
     "missing_required_parameter"),
    ({"model": "m", "messages": [{"role": "user", "content": 5}]},
     "Invalid type for 'messages[0].content'", "messages[0].content", "invalid_type"),
    ({**_good_openai(), "temperature": 2.5},
     "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, "
     "but got 2.5 instead.", "temperature", "decimal_above_max_value"),
    ({**_good_openai(), "temperature": -1}, "Invalid 'temperature': decimal below minimum",
     "temperature", "decimal_below_min_value"),
    ({**_good_openai(), "temperature": "hot"}, "Invalid type for 'temperature': expected "
     "a decimal, but got a string instead.", "temperature", "invalid_type"),
    ({**_good_openai(), "max_tokens": 0}, "Invalid 'max_tokens': integer below minimum",
     "max_tokens", "integer_below_min_value"),
    ({**_good_openai(), "max_completion_tokens": 1.5},
     "Invalid type for 'max_completion_tokens'", "max_completion_tokens", "invalid_type"),
    ({**_good_openai(), "stream": "yes"}, "Invalid type for 'stream'", "stream",
     "invalid_type"),
    ({**_good_openai(), "stream_options": {"include_usage": True}},
     "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
     "stream_options", None),
    ({**_good_openai(), "stream": True, "stream_options": {"usage": True}},
     "Unknown parameter: 'stream_options.usage'.", "stream_options.usage",
     "unknown_parameter"),
    ({**_good_openai(), "max_tokenz": 5},
     "Unrecognized request argument supplied: max_tokenz", None, None),
]


@pytest.mark.parametrize("body,message,param,code", OPENAI_REFUSALS,
                         ids=[r[1][:40] for r in OPENAI_REFUSALS])
def test_openai_refusals(openai, body, message, param, code):
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    status, _, answer = post(openai, raw)
    assert status == 400
    error = json.loads(answer)["error"]
    assert error["message"].startswith(message)
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error", param, code)


def test_openai_refuses_a_body_that_is_not_declared_json(openai):
    status, _, body = post(openai, json.dumps(_good_openai()).encode(),
                           {"Content-Type": "text/plain"})
    assert status == 400
    assert json.loads(body)["error"]["message"].startswith("We could not parse the JSON")


def test_openai_unknown_model_is_404():
    with OpenAIFake(api_key=None, models=["gpt-4o"]) as fake:
        status, _, body = http("POST", fake.url("/v1/chat/completions"),
                               {**_good_openai(), "model": "gpt-9"},
                               {"Content-Type": "application/json"})
        error = json.loads(body)["error"]
        assert status == 404 and error["code"] == "model_not_found"
        assert error["message"] == ("The model `gpt-9` does not exist or you do not have "
                                    "access to it.")
    close_and_check(fake)


def test_openai_max_tokens_cuts_the_answer(openai):
    openai.fake.answer("one two three four five six")
    status, _, body = post(openai, {**openai.body(), "max_completion_tokens": 4})
    obj = json.loads(body)
    assert obj["choices"][0]["message"]["content"] == "one two three four"
    assert obj["choices"][0]["finish_reason"] == "length"
    assert obj["usage"]["completion_tokens"] == 4


def test_openai_stop_sequence_ends_the_answer(openai):
    openai.fake.answer("first part END second part")
    _, _, body = post(openai, {**openai.body(), "stop": ["END"]})
    choice = json.loads(body)["choices"][0]
    assert choice["message"]["content"] == "first part "
    assert choice["finish_reason"] == "stop"


def test_openai_answer_with_given_usage(openai):
    openai.fake.answer("x", prompt_tokens=1000, completion_tokens=7)
    usage = json.loads(post(openai, openai.body())[2])["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (
        1000, 7, 1007)


@pytest.mark.parametrize("code,type_,error_code", [
    (429, "requests", "rate_limit_exceeded"),
    (500, "server_error", None),
    (503, "service_unavailable_error", "server_is_overloaded"),
])
def test_openai_scripted_error_shapes(openai, code, type_, error_code):
    openai.fake.status(code)
    status, headers, body = post(openai, openai.body())
    error = json.loads(body)["error"]
    assert status == code and (error["type"], error["code"]) == (type_, error_code)
    assert set(error) == {"message", "type", "param", "code"}
    assert ("retry-after" in headers) == (code == 429)


def test_openai_rate_limit_retry_after(openai):
    openai.fake.rate_limited(retry_after=7)
    status, headers, _ = post(openai, openai.body())
    assert status == 429 and headers["retry-after"] == "7"


def test_openai_scripted_status_with_own_body_and_headers(openai):
    openai.fake.status(502, body="<html>bad gateway</html>", headers={"X-Proxy": "1"})
    status, headers, body = post(openai, openai.body())
    assert (status, headers["x-proxy"], body) == (502, "1", b"<html>bad gateway</html>")


def test_openai_context_length_exceeded(openai):
    openai.fake.context_length_exceeded()
    status, _, body = post(openai, openai.body())
    error = json.loads(body)["error"]
    assert status == 400
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error", "messages", "context_length_exceeded")
    assert error["message"].startswith("This model's maximum context length is")


def test_openai_context_window_refuses_long_prompts():
    with OpenAIFake(api_key=None, context_window=5) as fake:
        url, hdr = fake.url("/v1/chat/completions"), {"Content-Type": "application/json"}
        short = {"model": "m", "messages": [{"role": "user", "content": "a b c"}]}
        long = {"model": "m", "messages": [{"role": "user", "content": "a b c d e f"}]}
        assert http("POST", url, short, hdr)[0] == 200
        status, _, body = http("POST", url, long, hdr)
        assert status == 400
        assert json.loads(body)["error"]["code"] == "context_length_exceeded"
    close_and_check(fake)


# ---------------------------------------------------------------------------------------
# Anthropic


@pytest.fixture
def anthropic():
    c = AnthropicClient()
    yield c
    close_and_check(c.fake)


def test_anthropic_message_shape(anthropic):
    status, headers, body = post(anthropic, anthropic.body("hello world"))
    assert status == 200 and headers["request-id"].startswith("req_")
    obj = json.loads(body)
    assert obj["id"].startswith("msg_") and obj["type"] == "message"
    assert obj["role"] == "assistant" and obj["model"] == "claude-sonnet-4-5"
    assert obj["content"] == [{"type": "text", "text": "echo: hello world"}]
    assert obj["stop_reason"] == "end_turn" and obj["stop_sequence"] is None
    # words: system "be brief" + "hello world" in, "echo: hello world" out
    assert (obj["usage"]["input_tokens"], obj["usage"]["output_tokens"]) == (4, 3)


def test_anthropic_stream_events_in_order(anthropic):
    anthropic.fake.answer("alpha beta gamma")
    rc, out, err = curl_post(anthropic, anthropic.body(stream=True), "-D", "/dev/stderr")
    assert rc == 0 and "content-type: text/event-stream" in err.lower()
    events = sse_events(out)
    names = [name for name, _ in events]
    assert names == (["message_start", "content_block_start", "ping"]
                     + ["content_block_delta"] * 3
                     + ["content_block_stop", "message_delta", "message_stop"])
    data = [json.loads(d) for _, d in events]
    assert all(d["type"] == name for d, name in zip(data, names))   # event: == data.type
    start = data[0]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == 4
    assert data[1] == {"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}}
    assert [d["delta"] for d in data[3:6]] == [
        {"type": "text_delta", "text": t} for t in ("alpha ", "beta ", "gamma")]
    assert data[7]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert data[7]["usage"] == {"output_tokens": 3}


def test_anthropic_refuses_a_missing_key(anthropic):
    status, _, body = post(anthropic, anthropic.body(), {"x-api-key": ""})
    assert status == 401
    assert json.loads(body)["error"] == {"type": "authentication_error",
                                         "message": "x-api-key header is required"}


def test_anthropic_refuses_a_wrong_key(anthropic):
    status, _, body = post(anthropic, anthropic.body(), {"x-api-key": "sk-ant-nope"})
    obj = json.loads(body)
    assert status == 401 and obj["type"] == "error"
    assert obj["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    assert obj["request_id"].startswith("req_")


def test_anthropic_refuses_a_missing_version(anthropic):
    status, _, body = post(anthropic, anthropic.body(), {"anthropic-version": ""})
    assert status == 400
    assert json.loads(body)["error"] == {"type": "invalid_request_error",
                                         "message": "anthropic-version: header is required"}


def test_anthropic_refuses_a_body_not_declared_json(anthropic):
    status, _, body = post(anthropic, json.dumps(anthropic.body()).encode(),
                           {"content-type": "application/x-www-form-urlencoded"})
    assert status == 400
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_anthropic_refuses_a_body_that_is_not_json(anthropic):
    status, _, body = post(anthropic, b'{"model": ')
    error = json.loads(body)["error"]
    assert status == 400 and error["type"] == "invalid_request_error"
    assert error["message"].startswith("The request body is not valid JSON: ")
    assert "line 1 column" in error["message"]


def _good_anthropic():
    return {"model": "claude", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]}


def _without(key):
    body = _good_anthropic()
    del body[key]
    return body


ANTHROPIC_REFUSALS = [
    (_without("max_tokens"), "max_tokens: Field required"),
    (_without("model"), "model: Field required"),
    (_without("messages"), "messages: Field required"),
    ({**_good_anthropic(), "max_tokens": "10"},
     "max_tokens: Input should be a valid integer"),
    ({**_good_anthropic(), "max_tokens": -1}, "max_tokens: Input should be greater than"),
    ({**_good_anthropic(), "messages": []}, "messages: at least one message is required"),
    ({**_good_anthropic(), "messages": [{"role": "system", "content": "x"}]},
     "messages.0.role: Input should be 'user' or 'assistant'"),
    ({**_good_anthropic(), "messages": [{"role": "assistant", "content": "x"},
                                        {"role": "user", "content": "y"}]},
     'messages: first message must use the "user" role'),
    ({**_good_anthropic(), "messages": [{"role": "user", "content": ""}]},
     "messages: all messages must have non-empty content"),
    ({**_good_anthropic(), "messages": [{"role": "user", "content": [{"text": "x"}]}]},
     "messages.0.content.0.type: Field required"),
    ({**_good_anthropic(), "temperature": 1.5}, "temperature: range: 0..1"),
    ({**_good_anthropic(), "system": 5}, "system: Input should be a valid string"),
    ({**_good_anthropic(), "frequency_penalty": 1},
     "frequency_penalty: Extra inputs are not permitted"),
    ({**_good_anthropic(), "stream": "yes"}, "stream: Input should be a valid boolean"),
]


@pytest.mark.parametrize("body,message", ANTHROPIC_REFUSALS,
                         ids=[r[1][:40] for r in ANTHROPIC_REFUSALS])
def test_anthropic_refusals(anthropic, body, message):
    status, _, answer = post(anthropic, body)
    obj = json.loads(answer)
    assert status == 400 and obj["type"] == "error"
    assert obj["error"]["type"] == "invalid_request_error"
    assert obj["error"]["message"].startswith(message)


def test_anthropic_accepts_a_final_assistant_prefill_and_system_blocks(anthropic):
    body = {**_good_anthropic(), "system": [{"type": "text", "text": "sys words"}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]},
                         {"role": "assistant", "content": ""}]}
    status, _, answer = post(anthropic, body)
    assert status == 200 and json.loads(answer)["usage"]["input_tokens"] == 3


@pytest.mark.parametrize("code,type_,message", [
    (429, "rate_limit_error", None),
    (500, "api_error", "Internal server error"),
    (529, "overloaded_error", "Overloaded"),
    (401, "authentication_error", "invalid x-api-key"),
    (413, "request_too_large", None),
])
def test_anthropic_scripted_error_shapes(anthropic, code, type_, message):
    anthropic.fake.status(code)
    status, headers, body = post(anthropic, anthropic.body())
    obj = json.loads(body)
    assert status == code and obj["type"] == "error" and obj["error"]["type"] == type_
    assert set(obj) == {"type", "error", "request_id"}
    assert message is None or obj["error"]["message"] == message
    assert ("retry-after" in headers) == (code == 429)


def test_anthropic_overloaded_is_529_with_its_reason_phrase(anthropic):
    anthropic.fake.overloaded()
    rc, out, err = curl("-i", "-X", "POST", *header_args(anthropic.headers),
                        "-d", json.dumps(anthropic.body()), anthropic.url)
    head, body = out.split(b"\r\n\r\n", 1)
    assert rc == 0 and head.startswith(b"HTTP/1.1 529 Overloaded\r\n"), err
    assert json.loads(body)["error"] == {"type": "overloaded_error",
                                         "message": "Overloaded"}
    assert post(anthropic, anthropic.body())[0] == 200   # the script is used up


def test_anthropic_prompt_too_long(anthropic):
    anthropic.fake.context_length_exceeded()
    status, _, body = post(anthropic, anthropic.body())
    error = json.loads(body)["error"]
    assert status == 400 and error["type"] == "invalid_request_error"
    assert error["message"].startswith("prompt is too long: ")
    assert error["message"].endswith(" tokens > 200000 maximum")


def test_anthropic_max_tokens_and_stop_sequences(anthropic):
    anthropic.fake.answer("a b c d e").answer("keep this STOP not this")
    obj = json.loads(post(anthropic, {**anthropic.body(), "max_tokens": 2})[2])
    assert obj["content"][0]["text"] == "a b" and obj["stop_reason"] == "max_tokens"
    assert obj["usage"]["output_tokens"] == 2
    obj = json.loads(post(anthropic, {**anthropic.body(), "stop_sequences": ["STOP"]})[2])
    assert obj["content"][0]["text"] == "keep this "
    assert (obj["stop_reason"], obj["stop_sequence"]) == ("stop_sequence", "STOP")


# ---------------------------------------------------------------------------------------
# Ollama


@pytest.fixture
def ollama():
    c = OllamaClient()
    yield c
    close_and_check(c.fake)


def test_ollama_streams_by_default(ollama):
    body = ollama.body("why sky")
    del body["stream"]   # the default is to stream
    rc, out, err = curl_post(ollama, body, "-D", "/dev/stderr")
    assert rc == 0 and "content-type: application/x-ndjson" in err.lower()
    lines = ndjson(out)
    assert [line["done"] for line in lines] == [False, False, False, True]
    assert all(line["model"] == "llama3.2" and line["created_at"].endswith("Z")
               for line in lines)
    assert "".join(line["message"]["content"] for line in lines) == "echo: why sky"
    assert all(line["message"]["role"] == "assistant" for line in lines)
    final = lines[-1]
    assert final["done_reason"] == "stop" and final["message"]["content"] == ""
    assert (final["prompt_eval_count"], final["eval_count"]) == (4, 3)
    assert all(isinstance(final[k], int) for k in (
        "total_duration", "load_duration", "prompt_eval_duration", "eval_duration"))


def test_ollama_non_streaming_is_one_object(ollama):
    status, headers, body = post(ollama, ollama.body("why sky"))
    assert status == 200 and headers["content-type"] == "application/json; charset=utf-8"
    obj = json.loads(body)
    assert obj["done"] is True and obj["done_reason"] == "stop"
    assert obj["message"] == {"role": "assistant", "content": "echo: why sky"}
    assert (obj["prompt_eval_count"], obj["eval_count"]) == (4, 3)


def test_ollama_unknown_model_is_404(ollama):
    status, _, body = post(ollama, {**ollama.body(), "model": "mistral"})
    assert (status, json.loads(body)) == (404, {"error": "model 'mistral' not found"})
    assert post(ollama, {**ollama.body(), "model": "llama3.2:latest"})[0] == 200


OLLAMA_REFUSALS = [
    (b"", 400, "missing request body"),
    (b"xyz", 400, "invalid character 'x' looking for beginning of value"),
    (b"[]", 400, "json: cannot unmarshal array into Go value of type api.ChatRequest"),
    ({"messages": [{"role": "user", "content": "x"}]}, 400, "model is required"),
    ({"model": "llama3.2", "messages": "x"}, 400,
     "json: cannot unmarshal string into Go struct field ChatRequest.messages of type "
     "[]api.Message"),
    ({"model": "llama3.2", "stream": "no", "messages": []}, 400,
     "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool"),
    ({"model": "llama3.2", "options": {"temperature": "hot"},
      "messages": [{"role": "user", "content": "x"}]}, 500,
     'option "temperature" must be of type float32'),
]


@pytest.mark.parametrize("body,status,message", OLLAMA_REFUSALS,
                         ids=[r[2][:40] for r in OLLAMA_REFUSALS])
def test_ollama_refusals(ollama, body, status, message):
    got, _, answer = post(ollama, body)
    assert (got, json.loads(answer)) == (status, {"error": message})


def test_ollama_num_predict_cuts_and_unknown_options_are_ignored(ollama):
    ollama.fake.answer("a b c d e")
    body = {**ollama.body(), "options": {"num_predict": 2, "temperature": 0.1, "foo": 1}}
    obj = json.loads(post(ollama, body)[2])
    assert obj["message"]["content"] == "a b"
    assert (obj["done_reason"], obj["eval_count"]) == ("length", 2)


def test_ollama_empty_messages_only_load_the_model(ollama):
    status, _, body = post(ollama, {"model": "llama3.2", "messages": []})
    obj = json.loads(body)
    assert status == 200 and (obj["done"], obj["done_reason"]) == (True, "load")


def test_ollama_scripted_errors(ollama):
    ollama.fake.overloaded().context_length_exceeded()
    status, _, body = post(ollama, ollama.body())
    assert status == 503 and json.loads(body)["error"].startswith("server busy")
    status, _, body = post(ollama, ollama.body())
    assert (status, json.loads(body)) == (
        400, {"error": "the input length exceeds the context length"})


# ---------------------------------------------------------------------------------------
# No leak: every thread and socket of a fake is gone after close()


def _hang_next(fake):
    """Script a hang for the next request and return a request that will hit it."""
    if isinstance(fake, FileServer):
        fake.hang("/f")
        return b"GET /f HTTP/1.1\r\nHost: x\r\n\r\n"
    fake.hang()
    body = json.dumps({"model": "llama3.2", "max_tokens": 5,
                       "messages": [{"role": "user", "content": "x"}]}).encode()
    return (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"anthropic-version: 2023-06-01\r\nContent-Length: %d\r\n\r\n%s"
            % (fake.endpoint.encode(), len(body), body))


def test_closed_fakes_leave_no_thread_and_no_socket():
    baseline_fds = socket_fds()
    baseline_threads = set(threading.enumerate())
    fakes = [OpenAIFake(api_key=None), AnthropicFake(api_key=None), OllamaFake(),
             FileServer()]
    fakes[3].add("/f", b"data")
    kept = []
    for fake in fakes:
        # a keep-alive connection the client leaves open...
        conn = http_client.HTTPConnection("127.0.0.1", fake.port, timeout=10 * SLOW)
        conn.request("GET", "/f")
        conn.getresponse().read()
        kept.append(conn)
        # ...and a request the fake never answers
        hung = socket.create_connection(("127.0.0.1", fake.port))
        hung.sendall(_hang_next(fake))
        kept.append(hung)
        fake.wait_for_requests(2)
        assert fake.open_connections() == 2
    for fake in fakes:
        port = fake.port
        close_and_check(fake)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port)).close()
    for k in kept:
        k.close()
    assert set(threading.enumerate()) <= baseline_threads
    assert socket_fds() <= baseline_fds


def test_close_is_idempotent_and_a_context_manager():
    with FileServer() as fs:
        pass
    fs.close()
    assert fs.threads_alive() == []


# ---------------------------------------------------------------------------------------
# File server


@pytest.fixture
def files():
    fs = FileServer()
    yield fs
    close_and_check(fs)


DATA = bytes(range(256)) * 4   # 1024 bytes


def test_full_get_has_the_validators(files):
    files.add("/d.bin", DATA, content_type="application/x-test")
    status, headers, body = http("GET", files.url("/d.bin"))
    assert status == 200 and body == DATA
    assert headers["content-length"] == "1024" and headers["accept-ranges"] == "bytes"
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert headers["last-modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert headers["content-type"] == "application/x-test"


@pytest.mark.parametrize("spec,first,last", [
    ("bytes=100-", 100, 1023),
    ("bytes=100-199", 100, 199),
    ("bytes=-10", 1014, 1023),
    ("bytes=1000-5000", 1000, 1023),      # clipped to the representation
    ("bytes=0-0", 0, 0),
    ("bytes=-5000", 0, 1023),             # suffix longer than the file: all of it
    ("bytes=5000-, 10-19", 10, 19),       # the unsatisfiable one is dropped
])
def test_range_answers_206(files, spec, first, last):
    files.add("/d", DATA)
    status, headers, body = http("GET", files.url("/d"), headers={"Range": spec})
    assert status == 206
    assert headers["content-range"] == f"bytes {first}-{last}/1024"
    assert int(headers["content-length"]) == last - first + 1
    assert body == DATA[first:last + 1]
    assert files.requests[-1].headers["range"] == spec      # recorded as sent


@pytest.mark.parametrize("spec", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_range_is_416(files, spec):
    files.add("/d", DATA)
    status, headers, body = http("GET", files.url("/d"), headers={"Range": spec})
    assert (status, headers["content-range"], body) == (416, "bytes */1024", b"")


@pytest.mark.parametrize("spec", ["bytes=5-2", "items=0-1", "bytes=abc", "bytes="])
def test_invalid_range_is_ignored(files, spec):
    files.add("/d", DATA)
    status, headers, body = http("GET", files.url("/d"), headers={"Range": spec})
    assert status == 200 and body == DATA and "content-range" not in headers


def test_multiple_ranges_are_multipart(files):
    files.add("/d", DATA, content_type="text/x-d")
    status, headers, body = http("GET", files.url("/d"),
                                 headers={"Range": "bytes=0-9,20-29"})
    assert status == 206
    ctype = headers["content-type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=")[1].encode()
    parts = body.split(b"--" + boundary)
    assert parts[-1] == b"--\r\n"
    heads_and_data = [p.split(b"\r\n\r\n", 1) for p in parts[1:-1]]
    assert [h.split(b"Content-Range: ")[1] for h, _ in heads_and_data] == [
        b"bytes 0-9/1024", b"bytes 20-29/1024"]
    assert [d[:-2] for _, d in heads_and_data] == [DATA[0:10], DATA[20:30]]
    assert int(headers["content-length"]) == len(body)


def test_head_has_headers_only_and_ignores_range(files):
    files.add("/d", DATA)
    status, headers, body = http("HEAD", files.url("/d"), headers={"Range": "bytes=0-1"})
    assert (status, headers["content-length"], body) == (200, "1024", b"")


def test_if_range_and_if_none_match(files):
    files.add("/d", DATA)
    etag, date = files.etag("/d"), files.last_modified("/d")
    for validator in (etag, date):
        status, _, body = http("GET", files.url("/d"),
                               headers={"Range": "bytes=10-", "If-Range": validator})
        assert status == 206 and body == DATA[10:]
    status, _, body = http("GET", files.url("/d"),
                           headers={"Range": "bytes=10-", "If-Range": '"other"'})
    assert status == 200 and body == DATA       # changed representation: all of it
    status, headers, body = http("GET", files.url("/d"), headers={"If-None-Match": etag})
    assert (status, body, headers["etag"]) == (304, b"", etag)
    assert http("GET", files.url("/d"), headers={"If-Modified-Since": date})[0] == 304


def test_empty_file(files):
    files.add("/empty", b"")
    assert http("GET", files.url("/empty"))[:3:2] == (200, b"")
    status, headers, _ = http("GET", files.url("/empty"), headers={"Range": "bytes=0-"})
    assert (status, headers["content-range"]) == (416, "bytes */0")


def test_not_found_and_method_not_allowed(files):
    files.add("/d", DATA)
    assert http("GET", files.url("/missing"))[0] == 404
    status, headers, _ = http("POST", files.url("/d"), b"x")
    assert (status, headers["allow"]) == (405, "GET, HEAD")


def test_generated_content_is_deterministic_and_served_by_range(files):
    files.add_generated("/g", 5 << 20, seed=11)
    files.add_generated("/same", 5 << 20, seed=11)
    files.add_generated("/other", 5 << 20, seed=12)
    assert files.sha256("/g") == files.sha256("/same") != files.sha256("/other")
    first, last = (1 << 20) - 100, (3 << 20) + 99       # across block boundaries
    rc, out, err = curl("-r", f"{first}-{last}", files.url("/g"))
    assert rc == 0, err
    assert out == files.content("/g", first, last + 1)
    blocks = [files.content("/g", i << 20, (i + 1) << 20) for i in range(5)]
    assert len(set(blocks)) == 5                         # no two 1 MiB blocks alike


def test_drop_then_resume_with_curl(files, tmp_path):
    size = 3_000_000
    files.add_generated("/big", size, seed=5)
    files.drop_after("/big", 1_000_000)
    target = tmp_path / "big"
    rc, _, _ = curl("-o", str(target), files.url("/big"))
    assert rc == 18 and target.stat().st_size == 1_000_000    # CURLE_PARTIAL_FILE
    rc, _, err = curl("-C", "-", "-o", str(target), files.url("/big"))
    assert rc == 0, err
    resumed = files.requests[-1].wait_finished()
    assert resumed.headers["range"] == "bytes=1000000-"
    assert resumed.status == 206 and resumed.bytes_sent == size - 1_000_000
    assert hashlib.sha256(target.read_bytes()).hexdigest() == files.sha256("/big")


def test_stall_sends_n_bytes_then_nothing_until_close(files):
    files.add("/d", DATA)
    files.stall_after("/d", 100)
    sock = socket.create_connection(("127.0.0.1", files.port), timeout=10 * SLOW)
    sock.sendall(b"GET /d HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < 100:
        received += sock.recv(65536)
    files.close()                      # the stalled handler is woken and ends
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    head, body = received.split(b"\r\n\r\n", 1)
    assert b"Content-Length: 1024" in head and body == DATA[:100]   # not a byte more


def test_throttle_is_not_faster_than_the_rate(files):
    files.add_generated("/t", 100_000, seed=1)
    files.throttle("/t", 200_000)
    rc, out, err = curl("-o", "/dev/null", "-w", "%{size_download} %{speed_download}",
                        files.url("/t"))
    size, speed = out.decode().split()
    assert rc == 0 and int(size) == 100_000
    assert float(speed) <= 200_000 * 1.5          # pacing holds (first slice is free)
    files.clear_scripts("/t")
    assert http("GET", files.url("/t"))[2] == files.content("/t")


def test_hang_blocks_nothing_else(files):
    files.add("/d", DATA)
    files.hang("/d")
    hung = curl_popen(files.url("/d"))
    stuck = files.wait_for_requests(1)[0]
    assert http("GET", files.url("/d"))[2] == DATA      # the next one is served
    assert not stuck.finished.is_set()
    close_and_check(files)
    assert hung.wait(timeout=10 * SLOW) == 52


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_redirect_to_a_path(files, code):
    files.add("/new", DATA)
    files.redirect("/old", "/new", code=code)
    rc, out, _ = curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                      files.url("/old"))
    assert out.decode() == f"{code} {files.url('/new')}"
    rc, out, _ = curl("-L", files.url("/old"))
    assert rc == 0 and out == DATA
    assert [r.path for r in files.requests] == ["/old", "/old", "/new"]


def test_redirect_to_another_server(files):
    with FileServer() as other:
        other.add("/there", b"elsewhere")
        files.redirect("/here", other.url("/there"), code=307)
        rc, out, _ = curl("-L", files.url("/here"))
        assert rc == 0 and out == b"elsewhere"
        assert other.requests[0].path == "/there"
    close_and_check(other)


def test_scripted_status_for_n_requests(files):
    files.add("/d", DATA)
    files.status("/d", 503, "busy", headers={"Retry-After": "3"}, times=2)
    for _ in range(2):
        status, headers, body = http("GET", files.url("/d"))
        assert (status, headers["retry-after"], body) == (503, "3", b"busy")
    assert http("GET", files.url("/d"))[:3:2] == (200, DATA)


def test_script_for_any_path(files):
    files.add("/a", b"a")
    files.status(None, 500)
    assert http("GET", files.url("/a"))[0] == 500
    assert http("GET", files.url("/a"))[0] == 200


def test_echo_returns_what_it_got(files):
    status, _, body = http("PUT", files.url("/echo/x?y=1"), b"\x00\xffpayload",
                           {"X-Custom": "v", "Content-Type": "application/octet-stream"})
    obj = json.loads(body)
    assert status == 200 and obj["method"] == "PUT" and obj["path"] == "/echo/x?y=1"
    assert ["X-Custom", "v"] in obj["headers"]
    assert base64.b64decode(obj["body_base64"]) == b"\x00\xffpayload"
    assert obj["body_length"] == 9


def test_echo_reads_chunked_and_expect_continue_uploads(files, tmp_path):
    upload = tmp_path / "up"
    upload.write_bytes(os.urandom(2 << 20))
    rc, out, err = curl("-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue",
                        "--data-binary", f"@{upload}", files.url("/echo"))
    assert rc == 0, err
    obj = json.loads(out)
    assert obj["method"] == "POST" and obj["body_length"] == 2 << 20
    assert base64.b64decode(obj["body_base64"]) == upload.read_bytes()
    assert files.requests[-1].headers["transfer-encoding"] == "chunked"


def test_keep_alive_serves_several_requests_on_one_connection(files):
    files.add("/a", b"aaa")
    files.add("/b", b"bb")
    conn = http_client.HTTPConnection("127.0.0.1", files.port, timeout=10 * SLOW)
    for path, data in [("/a", b"aaa"), ("/b", b"bb"), ("/a", b"aaa")]:
        conn.request("GET", path)
        assert conn.getresponse().read() == data
    conn.close()
    assert len({r.client for r in files.requests}) == 1


def test_one_gib_download_with_curl(files, capsys):
    """Throughput of the fake, for the download benchmark: 1 GiB generated on the fly."""
    files.add_generated("/1g", 1 << 30, seed=1)
    rc, out, err = curl("-o", "/dev/null", "-w", "%{size_download} %{speed_download}",
                        files.url("/1g"), timeout=300)
    size, speed = out.decode().split()
    assert rc == 0 and int(size) == 1 << 30, err
    with capsys.disabled():
        print(f"\nfile fake: 1 GiB with curl at {float(speed) / 1e6:.0f} MB/s")
