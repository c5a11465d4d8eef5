"""`owned` runs a method under its object's lock, called exactly as the method is."""

from __future__ import annotations

import inspect
import threading
from typing import Any

import pytest

from mockserver.engine.owned import owned


class Ledger:
    def __init__(self) -> None:
        self.lock = threading.RLock()

    @owned
    def plain(self, a: int, b: int = 2) -> tuple[int, int, bool]:
        """Positional, with a default."""
        return a, b, self.lock._is_owned()  # type: ignore[attr-defined]

    @owned
    def keywords(self, a: int, *, scale: int = 10, label: str) -> str:
        return f"{label}:{a * scale}"

    @owned
    def spread(self, *items: int, **named: Any) -> tuple[tuple[int, ...], dict[str, Any]]:
        return items, named

    @owned
    def fails(self) -> None:
        raise KeyError("nope")


def test_the_method_runs_under_the_lock_and_is_called_as_itself() -> None:
    ledger = Ledger()
    assert ledger.plain(1) == (1, 2, True)
    assert ledger.plain(1, b=5) == (1, 5, True)
    assert ledger.keywords(3, label="x") == "x:30"
    assert ledger.keywords(a=3, scale=2, label="y") == "y:6"
    assert ledger.spread(1, 2, z=3) == ((1, 2), {"z": 3})
    with pytest.raises(TypeError):
        ledger.keywords(3, 4, label="x")  # type: ignore[misc]  # keyword-only stays so
    with pytest.raises(TypeError):
        ledger.plain()  # type: ignore[call-arg]
    assert inspect.signature(Ledger.keywords) == inspect.signature(Ledger.keywords.__wrapped__)  # type: ignore[attr-defined]
    assert (Ledger.plain.__name__, Ledger.plain.__doc__) == ("plain", "Positional, with a default.")


def test_the_lock_is_released_when_the_method_raises() -> None:
    ledger = Ledger()
    with pytest.raises(KeyError):
        ledger.fails()
    taken: list[bool] = []
    worker = threading.Thread(target=lambda: taken.append(ledger.lock.acquire(timeout=1)))
    worker.start()
    worker.join()
    assert taken == [True]


def test_the_wrapper_is_compiled_when_first_looked_up_and_takes_the_method_s_place() -> None:
    class Late:
        lock = threading.Lock()

        @owned
        def twice(self, a: int) -> int:
            """Doubled."""
            return a * 2

    placeholder = Late.__dict__["twice"]
    assert not inspect.isfunction(placeholder)  # nothing compiled at import
    assert Late().twice(4) == 8
    compiled = Late.__dict__["twice"]
    assert inspect.isfunction(compiled)
    assert compiled is not placeholder
    assert Late().twice(5) == 10
    assert Late.__dict__["twice"] is compiled
    assert (compiled.__name__, compiled.__doc__) == ("twice", "Doubled.")


def test_a_method_owned_outside_a_class_body_is_compiled_once() -> None:
    class Later:
        lock = threading.Lock()

    def thrice(self: Later, a: int) -> int:
        return a * 3

    Later.thrice = owned(thrice)  # type: ignore[attr-defined]  # no __set_name__ for it
    first = Later.thrice  # type: ignore[attr-defined]
    assert Later().thrice(2) == 6  # type: ignore[attr-defined]
    assert Later.thrice is first  # type: ignore[attr-defined]
