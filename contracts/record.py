"""`record`: the value classes of every layer, without `dataclasses`' start-up cost.

`@dataclass(frozen=True)` compiles six methods per class from source text and inspects
every annotation on the way: about 0.9 ms a class on Python 3.11, and some fifty classes
stand between `grok-mock serve` and its first answer (that was most of what its start-up
took beyond a bare Starlette app's). A record compiles one `__init__` and shares
`__eq__`, `__hash__`, `__repr__` and the frozen `__setattr__` between all classes.

A record is a dataclass to the type checker (`dataclass_transform`) and to the
`dataclasses` module: `fields`, `replace`, `asdict` and `is_dataclass` work on it.
Not supported (refused when the class is made): `InitVar`, keyword-only fields,
`init=False` fields.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import Field, FrozenInstanceError
from functools import partial
from operator import attrgetter
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    try:
        from typing import dataclass_transform
    except ImportError:  # Python 3.10: the marker only matters to type checkers

        def dataclass_transform(**_: Any) -> Any:
            return lambda decorated: decorated


__all__ = ["record"]

_T = TypeVar("_T", bound=type)
_MISSING: Any = dataclasses.MISSING
# What `dataclasses.fields` lists: fields proper (not ClassVar or InitVar pseudo-fields).
_FIELD_KIND = dataclasses._FIELD  # type: ignore[attr-defined]


@overload
def record(cls: _T, /) -> _T: ...


@overload
def record(*, frozen: bool = True, slots: bool = False, eq: bool = True) -> Callable[[_T], _T]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, Field))
def record(
    cls: _T | None = None, /, *, frozen: bool = True, slots: bool = False, eq: bool = True
) -> _T | Callable[[_T], _T]:
    """A value class from `cls`'s annotations: frozen unless `frozen=False`, compared
    and hashed by its fields unless `eq=False`, with `__slots__` when `slots=True`."""

    def build(cls: _T) -> _T:
        return _build(cls, frozen=frozen, slots=slots, eq=eq)

    return build if cls is None else build(cls)


def _field(cls: type, name: str, annotation: Any) -> Field[Any]:
    value = cls.__dict__.get(name, _MISSING)
    found: Field[Any] = value if isinstance(value, Field) else dataclasses.field(default=value)
    if found.kw_only is True or not found.init:
        raise TypeError(f"{cls.__name__}.{name}: kw_only and init=False are not supported")
    found.name, found.type = name, annotation
    found._field_type = _FIELD_KIND  # type: ignore[attr-defined]
    return found


def _build(cls: _T, *, frozen: bool, slots: bool, eq: bool) -> _T:
    specs: dict[str, Field[Any]] = dict(getattr(cls, "__dataclass_fields__", {}))
    own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - this class's own only
    for name, annotation in own.items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if "ClassVar" in text:
            continue
        if "InitVar" in text:
            raise TypeError(f"{cls.__name__}.{name}: InitVar is not supported")
        specs.pop(name, None)
        specs[name] = _field(cls, name, annotation)
    ordered = tuple(specs.values())
    namespace: dict[str, Any] = {
        "__init__": _init(cls, ordered, frozen=frozen, slots=slots),
        "__dataclass_fields__": specs,
        "__match_args__": tuple(specs),
        "_record_key": _getter(tuple(f.name for f in ordered if f.compare)),
        "_record_shown": tuple(f.name for f in ordered if f.repr),
    }
    if "__repr__" not in cls.__dict__:
        namespace["__repr__"] = _repr
    if eq and "__eq__" not in cls.__dict__:
        namespace["__eq__"] = _eq
        if "__hash__" not in cls.__dict__:
            namespace["__hash__"] = _hash if frozen else None
    if frozen:
        namespace["__setattr__"], namespace["__delattr__"] = _frozen_set, _frozen_del
    if slots:
        return _with_slots(cls, namespace, tuple(n for n in specs if n in own), frozen)
    # A default lives in __init__. Left on the class, a Field would mislead, and any value
    # of a Python class (a sentinel) would keep Python 3.11 from specializing reads of
    # that attribute on every instance: four times slower.
    for name in own:
        if name in specs and name in cls.__dict__:
            delattr(cls, name)
    for key, value in namespace.items():
        setattr(cls, key, value)
    return cls


def _with_slots(cls: _T, namespace: dict[str, Any], names: tuple[str, ...], frozen: bool) -> _T:
    """`cls` made again with `__slots__` (a class's slots are fixed when it is made)."""
    body = {k: v for k, v in cls.__dict__.items() if k not in names}
    for key in ("__dict__", "__weakref__"):
        body.pop(key, None)
    body.update(namespace, __qualname__=cls.__qualname__, __slots__=names)
    if frozen:  # copy and pickle restore state without __setattr__
        body["__getstate__"], body["__setstate__"] = _getstate, _setstate
    made: _T = type(cls)(cls.__name__, cls.__bases__, body)
    if frozen:
        _bind_setters(made, body["__init__"])
    return made


def _bind_setters(made: type, init: Callable[..., None]) -> None:
    """Give a frozen slotted record's `__init__` each field's slot setter: a third
    cheaper than `object.__setattr__`, which looks the name up first (records are made
    on every request)."""
    scope = init.__globals__
    for index, name in enumerate(made.__dataclass_fields__):  # type: ignore[attr-defined]
        slot = inspect.getattr_static(made, name, None)
        if isinstance(slot, MemberDescriptorType):
            scope[f"_s{index}"] = slot.__set__


def _init(
    cls: type, specs: tuple[Field[Any], ...], *, frozen: bool, slots: bool
) -> Callable[..., None]:
    """One compiled `__init__`: positional-or-keyword parameters in field order."""
    scope: dict[str, Any] = {"_set": object.__setattr__, "_unset": _MISSING}
    params, lines = [], []
    for index, spec in enumerate(specs):
        name, value = spec.name, spec.name
        if spec.default_factory is not _MISSING:
            scope[f"_f{index}"] = spec.default_factory
            params.append(f"{name}=_unset")
            value = f"_f{index}() if {name} is _unset else {name}"
        elif spec.default is not _MISSING:
            scope[f"_d{index}"] = spec.default
            params.append(f"{name}=_d{index}")
        elif "=" in "".join(params):
            raise TypeError(f"{cls.__name__}.{name}: no default, after a field with one")
        else:
            params.append(name)
        if not frozen:
            lines.append(f"self.{name} = {value}")
        elif slots:  # a slot setter once the class is made (`_bind_setters`), else this
            scope[f"_s{index}"] = partial(_setattr_named, name=name)
            lines.append(f"_s{index}(self, {value})")
        else:  # frozen, past __setattr__; not through `self.__dict__`, which would make
            # the instance's dict a real one, and every attribute read three times slower
            lines.append(f"_set(self, {name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        lines.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n " + "\n ".join(lines or ["pass"])
    exec(source, scope)
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _setattr_named(instance: Any, value: Any, *, name: str) -> None:
    object.__setattr__(instance, name, value)


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields `names` of an instance as a tuple (in C: records are hashed per request)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda instance: (one(instance),)
    return lambda instance: ()


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    key = self._record_key
    return key(self) == key(other)


def _hash(self: Any) -> int:
    return hash(self._record_key(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{self.__class__.__qualname__}({shown})"


def _frozen_set(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_del(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self.__dataclass_fields__)


def _setstate(self: Any, state: tuple[Any, ...]) -> None:
    for name, value in zip(self.__dataclass_fields__, state, strict=True):
        object.__setattr__(self, name, value)
