"""The requests a control client and an agent make alike (PROTOCOL.md §8, §8.1, §8.2):
tasks, shared memory and votes. zswarm.Client sends them on the control socket and a
handler's context (zswarm.agent) on the agents socket, with the same checks before
sending and the same answers; each class gives ``_ask`` (a request, its futures), and
``timeout`` and ``endpoint`` for the messages, and may add fields of its own to a
request (``_own_fields``: an agent's subtasks name their ``parent``)."""

import concurrent.futures

from . import _check as check
from .errors import ProtocolError, Timeout, ValidationError

FINAL_STATES = ("completed", "dead", "cancelled")


class TaskId(str):
    """A task id as ``submit`` returns it; ``dup`` is true when a task of that id
    existed already and no new task was made."""

    dup = False


class TaskResult:
    """A task's view (``task.ok``) or end (``wait.ok``). Absent fields read as the
    protocol says (§2.3): ``exit`` 0, ``stdout`` and ``stderr`` empty. ``raw`` is
    the whole map as it came."""

    def __init__(self, reply):
        self.raw = {k: v for k, v in reply.items() if k not in ("v", "t", "rid")}

    task = property(lambda self: self.raw["task"])
    ttype = property(lambda self: self.raw["ttype"])
    state = property(lambda self: self.raw["state"])
    status = property(lambda self: self.raw.get("status"))
    exit = property(lambda self: self.raw.get("exit", 0))
    stdout = property(lambda self: self.raw.get("stdout", b""))
    stderr = property(lambda self: self.raw.get("stderr", b""))
    why = property(lambda self: self.raw.get("why", ""))
    agent = property(lambda self: self.raw.get("agent"))
    attempt = property(lambda self: self.raw.get("att", 0))
    code = property(lambda self: self.raw.get("code", 0))

    @property
    def final(self):
        return self.state in FINAL_STATES

    @property
    def ok(self):
        """True when the task completed."""
        return self.state == "completed"

    def __repr__(self):
        return (f"TaskResult(task={self.task!r}, state={self.state!r}, "
                f"status={self.status!r}, exit={self.exit})")


class Requests:
    """Tasks, shared memory and votes over ``self._ask(t, replies=1, **fields)``,
    which sends request t and returns a Future per reply expected."""

    def _result(self, future, t, timeout):
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise Timeout(f"{t}: no reply from '{self.endpoint}' within "
                          f"{timeout:g} s") from None

    def request(self, t, **fields):
        """Send request ``t`` and wait for its reply (at most the client's timeout);
        returns the reply map, raises ZswarmError for an ``error`` reply."""
        reply = self._result(self._ask(t, **fields)[0], t, self.timeout)
        if reply["t"] != t + ".ok":
            raise ProtocolError(f"{t}: expected {t}.ok, got {reply['t']}")
        return reply

    # -- tasks

    @staticmethod
    def _submit_fields(ttype, payload, *, priority=0, timeout=None, retries=None, id=None,
                       deps=None, requires=None, strategy=None, each=None, agg=None,
                       inputs=None, agent=None):
        fields = {"ttype": check.name("ttype", ttype)}
        if agent is not None:
            fields["agent"] = check.name("agent", agent)
        if id is not None:
            fields["task"] = check.name("id", id)
        if each is not None or agg is not None:
            if each is None or agg is None:
                raise ValidationError("a fan-out needs both each (its items) and agg")
            if payload is not None:
                raise ValidationError("payload: not allowed with each (a fan-out)")
            if isinstance(each, (str, bytes)):
                raise ValidationError("each: expected a list of items, not one")
            items = [check.blob("each item", item, check.PAYLOAD_MAX) for item in each]
            if not 1 <= len(items) <= check.ITEMS_MAX:
                raise ValidationError(f"each: expected 1..{check.ITEMS_MAX} items, got "
                                      f"{len(items)}")
            fields["items"] = items
            fields["agg"] = check.name("agg", agg)
        elif payload is not None:
            fields["payload"] = check.blob("payload", payload, check.PAYLOAD_MAX)
        if priority:
            fields["pri"] = check.integer("priority", priority, -check.PRI_MAX,
                                          check.PRI_MAX)
        if timeout is not None:
            fields["tmo"] = check.ms("timeout", timeout)
        if retries is not None:
            fields["tries"] = check.integer("retries", retries, 0, check.RETRIES_MAX) + 1
        if deps:
            fields["deps"] = check.names("deps", deps, 0, check.DEPS_MAX)
        if inputs:
            fields["inputs"] = check.names("inputs", inputs, 0, check.INPUTS_MAX)
        if requires:
            fields["requires"] = check.names("requires", requires, 0, check.REQUIRES_MAX)
        if strategy is not None:
            fields["strategy"] = check.choice("strategy", strategy, check.STRATEGIES)
        return fields

    def _own_fields(self, t):
        """Fields this sender adds to request t; none here."""
        return {}

    def submit(self, ttype, payload=None, *, priority=0, timeout=None, retries=None,
               id=None, deps=None, requires=None, strategy=None, each=None, agg=None,
               inputs=None, agent=None):
        """Submit a task of type ``ttype``; returns its id (a :class:`TaskId`).

        ``payload``: bytes or str (UTF-8), at most 1 MiB. ``priority``: -1000..1000.
        ``timeout``: seconds one attempt may run (default: the swarm file's).
        ``retries``: attempts after the first, 0..100. ``id``: the task's id (default:
        zswarmd makes one); an id that exists makes no task and returns it with
        ``dup`` set. ``deps``: up to 64 task ids to wait for. ``inputs``: up to 64
        task ids whose results the task gets in its assign (each is a dependency too,
        §7.1; a handler reads them as ``ctx.inputs``). ``requires``:
        capabilities beyond ``ttype``. ``strategy``: the scheduling strategy.
        ``each`` and ``agg``: a fan-out, one task of ``ttype`` per item of ``each``
        (ids ``ID.1``..``ID.N``) and an aggregate of type ``agg`` whose id is returned.
        ``agent``: run it on that agent only (it waits while that agent is busy,
        paused or absent).
        """
        fields = self._submit_fields(ttype, payload, priority=priority, timeout=timeout,
                                     retries=retries, id=id, deps=deps, requires=requires,
                                     strategy=strategy, each=each, agg=agg,
                                     inputs=inputs, agent=agent)
        reply = self.request("submit", **fields, **self._own_fields("submit"))
        task = TaskId(reply["task"])
        task.dup = bool(reply.get("dup"))
        return task

    def run(self, ttype, payload=None, *, wait_timeout=None, **options):
        """Submit (with ``wait``, one request) and wait for the task's end; returns its
        :class:`TaskResult`. Options are :meth:`submit`'s; ``wait_timeout`` bounds
        the wait for the end in seconds (None: no bound)."""
        fields = self._submit_fields(ttype, payload, **options)
        ack, done = self._ask("submit", replies=2, wait=True, **fields,
                              **self._own_fields("submit"))
        task = self._result(ack, "submit", self.timeout)["task"]
        try:
            return TaskResult(done.result(wait_timeout))
        except concurrent.futures.TimeoutError:
            raise Timeout(f"task '{task}' did not end within {wait_timeout:g} s") from None

    def future(self, task):
        """A Future that resolves to the task's :class:`TaskResult` when it ends (at
        once if it has), or fails with the ZswarmError of a refusal (NoTask,
        LimitReached). The I/O thread resolves it: nobody needs to wait on it."""
        check.name("task", task)
        outer = concurrent.futures.Future()
        inner = self._ask("wait", task=task, **self._own_fields("wait"))[0]

        def done(f):
            if not outer.set_running_or_notify_cancel():
                return
            if f.exception() is not None:
                outer.set_exception(f.exception())
            else:
                outer.set_result(TaskResult(f.result()))
        inner.add_done_callback(done)
        return outer

    def wait(self, task, timeout=None):
        """Wait until the task ends and return its :class:`TaskResult`, whatever its
        state (check ``.ok``). ``timeout``: seconds (None: no bound), then
        :class:`Timeout`."""
        future = self.future(task)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise Timeout(f"task '{task}' did not end within {timeout:g} s") from None

    def task(self, task):
        """The task's current view (``task.ok``) as a :class:`TaskResult`."""
        return TaskResult(self.request("task", task=check.name("task", task)))

    def cancel(self, task):
        """Cancel a task that has not ended; returns its new state. Raises Finished
        when it had ended, NoTask when unknown."""
        return self.request("cancel", task=check.name("task", task))["state"]

    # -- shared memory (§8.1)

    def _mem_fields(self, tags, access, ttl):
        fields = {}
        if tags:
            fields["tags"] = check.texts("tags", tags, 1, check.NAME_MAX, check.TAGS_MAX)
        if access is not None:
            fields["access"] = check.choice("access", access, check.ACCESS)
        if ttl is not None:
            fields["ttl"] = check.ms("ttl", ttl)
        return fields

    @staticmethod
    def _key(key):
        return check.text("key", key, 1, check.KEY_MAX)

    def mem_put(self, key, value=b"", *, tags=None, access=None, ttl=None, version=None):
        """Write the entry under ``key``; returns its new version. ``ttl``: seconds it
        lives. ``version``: compare-and-set, write only if the entry is at that
        version (0: only if it does not exist), else Conflict."""
        fields = self._mem_fields(tags, access, ttl)
        fields["value"] = check.blob("value", value, check.VALUE_MAX)
        if version is not None:
            fields["cas"] = True
            if version:
                fields["version"] = check.integer("version", version, 0, 2 ** 64 - 1)
        return self.request("mem.put", key=self._key(key), **fields)["version"]

    def mem_get(self, key):
        """The entry: a dict with ``key``, ``version``, ``access``, and ``value``
        (bytes) for a plain entry or ``level`` and ``half_life`` for a signal, plus
        ``tags``, ``ttl`` (ms left) and ``agent`` (its owner) when set. Raises NoKey."""
        return self._strip(self.request("mem.get", key=self._key(key)))

    def mem_del(self, key, *, version=None):
        """Delete the entry; returns its last version. ``version``: as for mem_put."""
        fields = {}
        if version is not None:
            fields["cas"] = True
            if version:
                fields["version"] = check.integer("version", version, 0, 2 ** 64 - 1)
        return self.request("mem.del", key=self._key(key), **fields)["version"]

    def mem_list(self, prefix="", *, tags=None, top=None):
        """The keys that start with ``prefix`` and carry every tag, sorted; with
        ``top`` N, the N strongest signals among them, strongest first."""
        fields = self._mem_fields(tags, None, None)
        if prefix:
            fields["prefix"] = check.text("prefix", prefix, 0, check.KEY_MAX)
        if top:
            fields["top"] = check.integer("top", top, 0, check.TOP_MAX)
        return self.request("mem.query", **fields).get("keys", [])

    mem_query = mem_list  # the request's name, as an agent's context calls it

    def mem_deposit(self, key, amount, *, half_life=None, tags=None, access=None,
                    ttl=None):
        """Add ``amount`` to the decaying signal under ``key`` (``half_life`` in
        seconds, required when the deposit creates it); returns {version, level}."""
        fields = self._mem_fields(tags, access, ttl)
        if half_life is not None:
            fields["half_life"] = check.ms("half_life", half_life)
        fields["amount"] = check.integer("amount", amount, -check.AMOUNT_MAX,
                                         check.AMOUNT_MAX)
        reply = self.request("mem.deposit", key=self._key(key), **fields)
        return {"version": reply["version"], "level": reply["level"]}

    # -- votes (§8.2)

    def vote(self, question, options, *, voters=None, strategy=None, deadline=None,
             id=None):
        """Open a vote; returns {vote: its id, count: voters asked}. ``voters``: agent
        types (default: every agent); ``deadline``: seconds (default 10)."""
        fields = {"question": check.text("question", question, 1, check.TEXT_MAX),
                  "options": check.names("options", options, check.OPTIONS_MIN,
                                         check.OPTIONS_MAX, unique=True)}
        if voters:
            fields["voters"] = check.names("voters", voters, 0, check.VOTERS_MAX)
        if strategy is not None:
            fields["strategy"] = check.choice("strategy", strategy, check.VOTE_STRATEGIES)
        if deadline is not None:
            fields["deadline"] = check.ms("deadline", deadline)
        if id is not None:
            fields["vote"] = check.name("id", id)
        reply = self.request("vote.propose", **fields)
        return {"vote": reply["vote"], "count": reply["count"]}

    def vote_status(self, vote):
        """``vote.status.ok``: the vote's state, decision (``option``) and ballots."""
        return self._strip(self.request("vote.status", vote=check.name("vote", vote)))

    def votes(self):
        """Ids of the open votes and the ended ones kept, oldest first."""
        return self.request("vote.list").get("votes", [])

    @staticmethod
    def _strip(reply):
        return {k: v for k, v in reply.items() if k not in ("v", "t", "rid")}
