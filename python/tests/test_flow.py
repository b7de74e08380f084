# A Python agent's checkpoints, subtasks and inputs against a real zswarmd
# (PROTOCOL.md §7.1, §7.3, §7.4).

import asyncio

import zswarm
from conftest import seconds, swarm_yaml

ONE_SLOT = "{type: py, count: 0, concurrency: 1}"


def upper(ctx):
    return ctx.payload.upper()


def test_checkpoint_resumes_the_next_attempt(make_swarm):
    s = make_swarm(swarm_yaml([ONE_SLOT]))
    c = s.client()
    seen = []

    def resumable(ctx):
        seen.append(ctx.checkpoint)
        if ctx.checkpoint is None:
            ctx.save_checkpoint(b"step 1 of 2")
            seen.append(c.task(ctx.task).raw.get("ckpt_bytes"))
            raise RuntimeError("crashed after step 1")
        return b"resumed from " + ctx.checkpoint

    s.agent("py", {"resumable": resumable})
    result = c.run("resumable", retries=1, wait_timeout=seconds(10))
    assert result.ok and result.attempt == 2
    assert result.stdout == b"resumed from step 1 of 2"
    assert seen == [None, 11, b"step 1 of 2"]


def test_subtasks_on_one_slot(make_swarm):
    """A parent waiting for its child on an agent of concurrency 1 lends its slot."""
    s = make_swarm(swarm_yaml([ONE_SLOT]))
    c = s.client()

    def parent(ctx):
        child = ctx.run("upper", ctx.payload, wait_timeout=seconds(10))
        assert ctx.view(child.task).raw["parent"] == ctx.task
        return child.stdout + b" via " + child.task.encode()

    async def parent_async(ctx):
        child = await ctx.submit("upper", b"async", id=ctx.task + ".kid")
        result = await ctx.future(child)
        return result.stdout

    s.agent("py", {"parent": parent, "parent_async": parent_async, "upper": upper})
    result = c.run("parent", b"child", id="p1", wait_timeout=seconds(10))
    assert result.ok, result.why
    children = c.task("p1").raw["children"]
    assert len(children) == 1 and result.stdout == b"CHILD via " + children[0].encode()
    assert c.task(children[0]).raw["parent"] == "p1"
    result = c.run("parent_async", id="p2", wait_timeout=seconds(10))
    assert result.ok and result.stdout == b"ASYNC"
    assert c.task("p2").raw["children"] == ["p2.kid"]


def test_children_cancelled_with_their_parent(make_swarm):
    s = make_swarm(swarm_yaml(["{type: py, count: 0, concurrency: 2}"]))
    c = s.client()

    async def forever(ctx):
        await asyncio.sleep(60)

    def spawner(ctx):
        return ctx.submit("forever", id="orphan")

    s.agent("py", {"spawner": spawner, "forever": forever})
    assert c.run("spawner", wait_timeout=seconds(10)).stdout == b"orphan"
    orphan = c.wait("orphan", timeout=seconds(10))
    assert orphan.state == "cancelled"


def test_inputs_reach_the_handler(make_swarm):
    s = make_swarm(swarm_yaml([ONE_SLOT]))
    c = s.client()

    def join(ctx):
        return b"+".join(i["stdout"] + f"({i['task']} {i['status']} {i['exit']})".encode()
                         for i in ctx.inputs)

    s.agent("py", {"upper": upper, "join": join})
    first = c.submit("upper", b"a", id="in-a")
    second = c.submit("upper", b"b", id="in-b")
    result = c.run("join", inputs=[second, first], wait_timeout=seconds(10))
    assert result.ok
    assert result.stdout == b"B(in-b completed 0)+A(in-a completed 0)"
    assert sorted(c.task(result.task).raw["deps"]) == ["in-a", "in-b"]
    # checked before sending, like deps
    try:
        c.submit("join", inputs=["not ok"])
    except zswarm.ValidationError as err:
        assert "inputs" in str(err)
    else:
        raise AssertionError("a bad input id was sent")
