"""The production image as the Dockerfile defines it: its instructions and its environment.

The container test and the topology test (there is no Docker engine on the test machines) run
the image's commands with the environment it would give them.
"""

from __future__ import annotations

import re
import shlex

from live_server import REPOSITORY

DOCKERFILE = (REPOSITORY / "Dockerfile").read_text()
INSTRUCTIONS = [
    " ".join(line.split())
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def dockerfile_environment() -> dict[str, str]:
    environ: dict[str, str] = {}
    for instruction in INSTRUCTIONS:
        if instruction.startswith("ENV "):
            for pair in shlex.split(instruction.removeprefix("ENV ")):
                name, _, value = pair.partition("=")
                environ[name] = value
    return environ
