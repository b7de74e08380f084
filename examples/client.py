#!/usr/bin/python3
# A ten-line zswarm client: run a task, fan out, and read shared memory.
# Start a swarm first (build/zswarmd swarms/quickstart.yaml), then:
#   PYTHONPATH=python examples/client.py    ($ZSWARM_CONTROL, else tcp://127.0.0.1:7602)
import zswarm

with zswarm.Client() as swarm:
    print(swarm.run("echo", b"hello").stdout.decode())
    fan = swarm.submit("echo", each=[b"a\n", b"b\n"], agg="echo")
    print(swarm.wait(fan).stdout.decode(), end="")
    swarm.mem_put("greeting", b"hi", ttl=60)
    print(swarm.mem_get("greeting")["value"], swarm.status()["n_completed"])
