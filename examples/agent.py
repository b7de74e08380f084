#!/usr/bin/python3
# A ten-line zswarm agent: Python functions as the handlers of agent type "py".
# By hand: PYTHONPATH=python examples/agent.py --connect tcp://127.0.0.1:7600, or
# started by zswarmd: program: [/usr/bin/python3, examples/agent.py] (docs/python.md).
import asyncio
import zswarm


def upper(ctx):                        # a sync handler runs in a worker thread
    ctx.progress(50, "halfway")
    return ctx.payload.upper()         # bytes or str: the task's stdout


async def nap(ctx):                    # an async one on the agent's asyncio loop
    await asyncio.sleep(float(ctx.payload or b"0.1"))
    return f"{ctx.agent} slept (attempt {ctx.attempt})"


zswarm.run_agent({"upper": upper, "nap": nap}, atype="py")
