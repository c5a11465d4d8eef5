"""`owned`: a method run as one step under its object's lock (`self.lock`).

The wrapper is compiled with the method's own parameters. A generic one, forwarding
`*args` and `**kwargs`, packs and unpacks them on every call, which cost more than
taking the lock on the emulator's hottest steps (a poll's read, a submit's open).
It is compiled when the method is first looked up, and takes the method's place in its
class then: compiling the emulator's 25 at import took 2.6 ms of every start-up.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["owned"]

F = TypeVar("F", bound=Callable[..., Any])

_P = inspect.Parameter


def owned(method: F) -> F:
    """Run `method` as one step under `self.lock`, called as `method` itself is."""
    return cast(F, _Owned(method))


class _Owned:
    """Stands in the class for the method until it is first looked up."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self._method = method
        self._where: tuple[type, str] | None = None
        self._compiled: Callable[..., Any] | None = None
        self.__doc__ = method.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._where = (owner, name)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        compiled = self._compiled
        if compiled is None:  # two threads may both compile: equal functions
            compiled = self._compiled = _compiled(self._method)
            if self._where is not None:  # not set outside a class body: kept here then
                setattr(*self._where, compiled)
        return compiled if instance is None else compiled.__get__(instance, owner)


def _compiled(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method` under `self.lock`, with the method's own parameters."""
    params = list(inspect.signature(method).parameters.values())
    scope: dict[str, Any] = {"_method": method}
    declared, passed = [], []
    starred = any(p.kind is _P.VAR_POSITIONAL for p in params)  # keyword-only after it
    for index, param in enumerate(params):
        name, kind = param.name, param.kind
        if kind is _P.VAR_POSITIONAL or kind is _P.VAR_KEYWORD:
            stars = "*" if kind is _P.VAR_POSITIONAL else "**"
            declared.append(stars + name)
            passed.append(stars + name)
            continue
        if kind is _P.KEYWORD_ONLY and not starred:
            declared.append("*")
            starred = True
        if param.default is _P.empty:
            declared.append(name)
        else:
            scope[f"_d{index}"] = param.default
            declared.append(f"{name}=_d{index}")
        passed.append(f"{name}={name}" if kind is _P.KEYWORD_ONLY else name)
    source = (
        f"def {method.__name__}({', '.join(declared)}):\n"
        f" with {params[0].name}.lock:\n"
        f"  return _method({', '.join(passed)})\n"
    )
    exec(source, scope)
    return functools.update_wrapper(scope[method.__name__], method)
