"""Local fakes of the remote services zswarm's HTTP client talks to.

CI has no network but package registries, so every remote service is tested against a
fake on 127.0.0.1 that the test starts (port 0: the OS picks) and stops. The fakes are
strict (they refuse what the real service refuses, with its status and error body) and
record every request, so that a test can assert what the client sent.

    fakes.llm    OpenAIFake, AnthropicFake, OllamaFake: the LLM providers' chat APIs,
                 scriptable (errors, hangs, cut streams, malformed and huge answers)
    fakes.files  FileServer: downloads with Range/ETag, faults, redirects, echo

Shared machinery (threads, recording, clean shutdown) is in fakes._http.
"""

from ._http import Request
from .files import FileServer
from .llm import AnthropicFake, OllamaFake, OpenAIFake, count_tokens

__all__ = ["AnthropicFake", "FileServer", "OllamaFake", "OpenAIFake", "Request",
           "count_tokens"]
