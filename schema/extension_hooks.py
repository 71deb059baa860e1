"""Strawberry's extension hooks, wrapped once per extension class rather than on every request.

For every operation, and again for each of its stages, Strawberry wraps every generator hook
of every extension in `contextlib.contextmanager` (and its `functools.wraps`): about 12 µs of
a 90 µs `{ __typename }` execution, 1 % of a partner read (BENCHMARKS.md, session 10). The
wrapping depends only on the class and the hook, so it is done once; each request binds its
own extension instance to it. Hooks that are not generators keep Strawberry's own handling.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

_STRAWBERRYS = "Strawberry's own handling"


@functools.cache
def _wrapped(
    extension_class: type[SchemaExtension], hook_name: str
) -> tuple[Callable[..., Any], bool] | str | None:
    """The hook's context-manager factory and whether it is async; None when the class does not
    override the hook, `_STRAWBERRYS` when the hook is not a generator."""
    hook = getattr(extension_class, hook_name)
    if hook is getattr(SchemaExtension, hook_name):
        return None
    if inspect.isgeneratorfunction(hook):
        return contextlib.contextmanager(hook), False
    if inspect.isasyncgenfunction(hook):
        return contextlib.asynccontextmanager(hook), True
    return _STRAWBERRYS


class _Hooks(ExtensionContextManagerBase):
    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        # A class is hashable; typeshed's Hashable check trips on SchemaExtension's __hash__.
        wrapped = _wrapped(type(extension), self.HOOK_NAME)  # type: ignore[arg-type]
        if wrapped is None:
            return None
        if isinstance(wrapped, str):
            return super().get_hook(extension)
        manager, is_async = wrapped
        return WrappedHook(extension, functools.partial(manager, extension), is_async)


class _Operation(_Hooks, OperationContextManager):
    pass


class _Parsing(_Hooks, ParsingContextManager):
    pass


class _Validation(_Hooks, ValidationContextManager):
    pass


class _Executing(_Hooks, ExecutingContextManager):
    pass


class ExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner with hooks wrapped once per class (module docstring)."""

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
