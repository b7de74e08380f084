"""Argument checks against the bounds of PROTOCOL.md §2.5 and §10, made before a
request is sent, so that a mistake is a ValidationError naming the argument rather
than an error 1 or 7 from zswarmd."""

import re

from .errors import ValidationError

NAME_MAX = 64                      # names: ids, types, states, strategies (§2.5)
TEXT_MAX = 1024                    # why, note, question
PAYLOAD_MAX = 1024 * 1024          # payload, each fan-out item
VALUE_MAX = 64 * 1024              # mem value
KEY_MAX = 256                      # mem key, prefix
MS_MAX = 86_400_000                # tmo, ttl, deadline, half_life
PRI_MAX = 1000
RETRIES_MAX = 100                  # tries 1..101, sent as retries + 1
DEPS_MAX = 64                      # a coordinator takes at most 64 deps (§7.1)
INPUTS_MAX = 64                    # and at most 64 inputs
REQUIRES_MAX = 64
ITEMS_MAX = 10_000
TAGS_MAX = 16
TOP_MAX = 10_000
AMOUNT_MAX = 10 ** 12
OPTIONS_MIN, OPTIONS_MAX = 2, 16
VOTERS_MAX = 64
SCALE_MAX = 1000
FRAME_MAX = 4 * 1024 * 1024
BROADCAST_MAX = 64 * 1024          # a broadcast's payload, 1..65,536 bytes
ENDPOINT_MAX = 2048                # an events endpoint (welcome)

STRATEGIES = ("round-robin", "least-loaded", "capability", "best-fit", "work-stealing",
              "auction")
VOTE_STRATEGIES = ("majority", "super-majority", "byzantine", "unanimous",
                   "trust-weighted")
ACCESS = ("private", "team", "swarm")

_NAME_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")


def _fail(what, problem, value):
    raise ValidationError(f"{what}: {problem}, got {value!r}")


def name(what, value):
    """An id or type: 1..64 characters of [A-Za-z0-9._:-]."""
    if not isinstance(value, str) or not _NAME_RE.match(value):
        _fail(what, f"expected 1..{NAME_MAX} characters of [A-Za-z0-9._:-]", value)
    return value


def names(what, values, lo, hi, unique=False):
    if isinstance(values, (str, bytes)):
        _fail(what, "expected a list of names, not one string", values)
    values = list(values)
    if not lo <= len(values) <= hi:
        _fail(what, f"expected {lo}..{hi} names", values)
    for value in values:
        name(f"{what} item", value)
    if unique and len(set(values)) != len(values):
        _fail(what, "a name is given twice", values)
    return values


def text(what, value, lo, hi):
    """A str field: UTF-8 without NUL, lo..hi bytes."""
    if not isinstance(value, str):
        _fail(what, "expected a str", value)
    if "\0" in value:
        _fail(what, "a NUL character is not allowed", value)
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        _fail(what, "not encodable as UTF-8 (a lone surrogate)", value)
    if not lo <= size <= hi:
        _fail(what, f"expected {lo}..{hi} bytes of UTF-8, got {size} bytes", value[:80])
    return value


def texts(what, values, lo, hi, count_max):
    if isinstance(values, (str, bytes)):
        _fail(what, "expected a list of strings, not one string", values)
    values = list(values)
    if len(values) > count_max:
        _fail(what, f"expected at most {count_max} items", len(values))
    return [text(f"{what} item", v, lo, hi) for v in values]


def blob(what, value, hi):
    """A bin field: bytes (a str is encoded as UTF-8), at most hi bytes."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray, memoryview)):
        _fail(what, "expected bytes or str", value)
    value = bytes(value)
    if len(value) > hi:
        _fail(what, f"expected at most {hi} bytes", f"{len(value)} bytes")
    return value


def integer(what, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(what, "expected an integer", value)
    if not lo <= value <= hi:
        _fail(what, f"expected {lo}..{hi}", value)
    return value


def ms(what, seconds, lo_ms=1, hi_ms=MS_MAX):
    """A duration given in seconds (int or float), as the protocol's ms."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        _fail(what, "expected seconds as a number", seconds)
    if seconds != seconds:  # NaN
        _fail(what, "expected a number of seconds", seconds)
    value = round(seconds * 1000)
    if not lo_ms <= value <= hi_ms:
        _fail(what, f"expected {lo_ms / 1000:g}..{hi_ms / 1000:g} seconds", seconds)
    return value


def choice(what, value, allowed):
    if value not in allowed:
        _fail(what, f"expected one of {', '.join(allowed)}", value)
    return value
