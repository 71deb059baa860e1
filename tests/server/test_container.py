"""The container as shipped: production by default, no built-in secret, a model built into the
image, dependencies installed before the code, `migrate` then `serve` at start; and compose.yaml
with PostgreSQL. There is no Docker daemon on the test machines, so the image's start command
runs here with the image's environment (loopback instead of 0.0.0.0).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from live_server import REPOSITORY, free_port

DOCKERFILE = (REPOSITORY / "Dockerfile").read_text()
INSTRUCTIONS = [
    " ".join(line.split())
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def _image_environment() -> dict[str, str]:
    environ: dict[str, str] = {}
    for instruction in INSTRUCTIONS:
        if instruction.startswith("ENV "):
            for pair in shlex.split(instruction.removeprefix("ENV ")):
                name, _, value = pair.partition("=")
                environ[name] = value
    return environ


def _index(prefix: str) -> int:
    return next(i for i, line in enumerate(INSTRUCTIONS) if line.startswith(prefix))


def test_the_image_is_production_without_a_built_in_secret() -> None:
    environ = _image_environment()
    assert environ["SCORELINK_ENV"] == "production"
    assert "SCORELINK_SECRET_KEY" not in DOCKERFILE.replace("SCORELINK_SECRET_KEY of", "")
    assert "SCORELINK_ALLOW_PUBLIC_SANDBOX" not in environ


def test_dependencies_install_from_the_lock_before_the_code_is_copied() -> None:
    lock = _index("COPY requirements.lock")
    install = _index("RUN python -m pip install --no-cache-dir --require-hashes -r requirements")
    code = _index("COPY server")
    assert lock < install < code


def test_the_model_is_built_at_image_build_and_migrate_runs_at_start() -> None:
    build = INSTRUCTIONS[_index("RUN python -m pip install --no-cache-dir --no-deps .")]
    assert "ensure_model(Path('/app/models'))" in build
    assert _image_environment()["SCORELINK_MODEL_DIR"] == "/app/models"
    assert INSTRUCTIONS[-1] == 'CMD ["sh", "-c", "scorelink migrate && exec scorelink serve"]'


def _start_command(environ: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    command = INSTRUCTIONS[-1].removeprefix("CMD ")
    argv = yaml.safe_load(command)  # a JSON array, which YAML reads too
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.Popen(  # noqa: S603
        argv,
        env={**environ, "PATH": path},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def image_environment(empty_database_url: str, trained_model_dir: Path) -> dict[str, str]:
    return {
        **_image_environment(),
        "DATABASE_URL": empty_database_url,
        "SCORELINK_MODEL_DIR": str(trained_model_dir),
        "SCORELINK_HOST": "127.0.0.1",
        "SCORELINK_PORT": str(free_port()),
    }


def test_the_start_command_refuses_to_run_without_a_secret_key(
    image_environment: dict[str, str], tmp_path: Path
) -> None:
    process = _start_command(image_environment, tmp_path)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip().splitlines() == [
        "scorelink: configuration error: SCORELINK_SECRET_KEY: "
        "production refuses to start with the default secret key"
    ]


def test_the_start_command_migrates_and_serves_production(
    image_environment: dict[str, str], tmp_path: Path
) -> None:
    environ = {**image_environment, "SCORELINK_SECRET_KEY": "c" * 48}
    base = f"http://127.0.0.1:{environ['SCORELINK_PORT']}"
    process = _start_command(environ, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert httpx.get(f"{base}/").json()["service"] == "ScoreLink"
        assert httpx.get(f"{base}/graphql", headers={"accept": "text/html"}).status_code != 200
    finally:
        process.terminate()
        process.communicate(timeout=60)


def test_compose_runs_the_image_with_postgresql_and_demands_the_secrets() -> None:
    compose = yaml.safe_load((REPOSITORY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    app = services["scorelink"]
    assert app["build"] == "."
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["DATABASE_URL"].startswith("postgres://")
    assert app["environment"]["SCORELINK_SECRET_KEY"].startswith("${SCORELINK_SECRET_KEY:?")
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    # Published on this machine's loopback only, unless an operator changes it.
    assert app["ports"] == ["127.0.0.1:8000:8000"]
