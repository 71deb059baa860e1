"""The schema's extension hooks: the same ones Strawberry's runner would enter, wrapped once
per class instead of on every operation (schema/extension_hooks.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from schema.extension_hooks import ExtensionsRunner
from schema.schema import build_schema


class PlainHook(SchemaExtension):
    """A hook that is a plain function, which Strawberry handles itself."""

    # Strawberry's type says generator, its runner takes any callable too.
    def on_validate(self) -> None:  # type: ignore[override]
        pass


class AsyncHook(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield


class GeneratorHook(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        yield


STAGES = ["operation", "parsing", "validation", "executing"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_enters_the_hooks_strawberrys_runner_would(stage: str) -> None:
    schema = build_schema()
    extensions = [*schema.get_extensions(), PlainHook(), AsyncHook(), GeneratorHook()]
    ours = getattr(ExtensionsRunner(None, extensions), stage)()  # type: ignore[arg-type]
    strawberrys = getattr(SchemaExtensionsRunner(None, extensions), stage)()  # type: ignore[arg-type]

    def entered(hooks: list[Any]) -> list[tuple[str, bool]]:
        return [(type(hook.extension).__name__, hook.is_async) for hook in hooks]

    assert entered(ours.hooks) == entered(strawberrys.hooks)
    assert ours.hooks, "every stage has a hook of ScoreLink's or of the test's"


async def test_an_operation_wraps_no_hook_once_the_first_has_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = build_schema()
    context = SimpleNamespace(principal=None, request_id="req-hooks")
    first = await schema.execute("{ __typename }", context_value=context)
    assert first.errors is None
    wrapped: list[str] = []

    def counting(wrap: Callable[..., Any]) -> Callable[..., Any]:
        def counted(function: Callable[..., Any]) -> Any:
            wrapped.append(getattr(function, "__qualname__", repr(function)))
            return wrap(function)

        return counted

    monkeypatch.setattr(contextlib, "contextmanager", counting(contextlib.contextmanager))
    monkeypatch.setattr(contextlib, "asynccontextmanager", counting(contextlib.asynccontextmanager))
    second = await schema.execute("{ __typename }", context_value=context)

    assert second.errors is None
    assert wrapped == []
