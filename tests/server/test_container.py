"""The container as shipped: production by default, no built-in secret, a model built into the
image, dependencies installed before the code, `migrate` then `serve` at start; and the compose
file (deploy/compose.yaml) with PostgreSQL, Redis, two API servers and a worker. There is no
Docker daemon on the test machines, so the image's start command runs here with the image's
environment (loopback instead of 0.0.0.0).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from container_image import DOCKERFILE, INSTRUCTIONS, dockerfile_environment
from live_server import REPOSITORY, free_port


def _index(prefix: str) -> int:
    return next(i for i, line in enumerate(INSTRUCTIONS) if line.startswith(prefix))


def test_the_image_is_production_without_a_built_in_secret() -> None:
    environ = dockerfile_environment()
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
    assert dockerfile_environment()["SCORELINK_MODEL_DIR"] == "/app/models"
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
        **dockerfile_environment(),
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


COMPOSE = yaml.safe_load((REPOSITORY / "deploy" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
REQUIRED = re.compile(r"\$\{(\w+):\?")


def test_the_repository_compose_file_is_the_deployment_s_and_nothing_else() -> None:
    # One source of truth: `docker compose up` at the root runs deploy/compose.yaml.
    assert yaml.safe_load((REPOSITORY / "compose.yaml").read_text()) == {
        "include": ["deploy/compose.yaml"]
    }


def _built() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in SERVICES.items() if "build" in service}


def test_compose_runs_two_api_servers_and_a_worker_on_one_database_and_one_redis() -> None:
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")
    built = _built()
    assert {name: service["command"] for name, service in built.items()} == {
        "migrate": ["scorelink", "migrate"],
        "api-1": ["scorelink", "serve"],
        "api-2": ["scorelink", "serve"],
        "worker": ["scorelink", "worker"],
    }
    # The image is this repository's Dockerfile, built from the root.
    assert {service["build"] for service in built.values()} == {".."}
    assert (REPOSITORY / "deploy" / ".." / "Dockerfile").exists()
    # One database, one issuer, one set of rate-limit counters for every process.
    for variable in ("DATABASE_URL", "SCORELINK_ISSUER", "SCORELINK_RATE_LIMIT_STORAGE"):
        values = {service["environment"][variable] for service in built.values()}
        assert len(values) == 1, variable
    assert SERVICES["api-1"]["environment"]["SCORELINK_RATE_LIMIT_STORAGE"].startswith("redis://")
    # Migrations run once, before any server or worker starts.
    for name in ("api-1", "api-2", "worker"):
        assert built[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    # Published on this machine's loopback only, on two ports, unless an operator changes it.
    assert [SERVICES[name]["ports"] for name in ("api-1", "api-2")] == [
        ["127.0.0.1:8001:8000"],
        ["127.0.0.1:8002:8000"],
    ]
    assert "ports" not in SERVICES["worker"]


def test_compose_demands_every_secret_and_readme_sets_exactly_those() -> None:
    text = (REPOSITORY / "deploy" / "compose.yaml").read_text()
    required = set(REQUIRED.findall(text))
    assert required == {"SCORELINK_SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD"}
    readme = (REPOSITORY / "README.md").read_text()
    block = readme[readme.index("```sh\nexport SCORELINK_SECRET_KEY") :]
    block = block[: block.index("```\n", 3)]
    assert set(re.findall(r"^export (\w+)=", block, re.MULTILINE)) == required
    assert "docker compose up --build" in block
