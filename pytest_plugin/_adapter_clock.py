"""What an adapter's threads see under the checks: one emulator clock for every clock they
read, and TLS contexts that skip loading certificate stores (see `no_certificates`).

In the adapter's threads (the one that runs it and any it starts), waiting moves the
emulator clock instead of blocking, and every clock reads the emulator's: `time.time`,
`time.time_ns`, `time.monotonic(_ns)`, `time.perf_counter(_ns)`, `datetime.now()`,
`utcnow()` and `today()`, and `asyncio.sleep`. Names bound before the run with
`from time import sleep` (in any module) are swapped too, and put back after. So a
`Retry-After`, a rate-limit reset time or a body's timestamp means the same to the adapter
as to the provider. Other threads see real time throughout.

Threads the adapter leaves behind when its run ends (it ran away, or ran out of wall
time) are fenced: any request they make is refused with `Runaway`, and the thread that ran
the adapter gets `Runaway` raised in it, so none can reach the next example.
"""

from __future__ import annotations

import asyncio
import ctypes
import datetime as _datetime
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any

from mockserver.engine.errors import Runaway

__all__ = ["BoundNames", "Leash", "no_certificates", "virtual_time"]

_NS = 1_000_000_000
_REAL_DATETIME = _datetime.datetime
# Modules whose own names for the clocks stay real: the clocks' homes, and this one.
_OWN_CLOCKS = frozenset({"time", "datetime", "_datetime", __name__})
_CLOCKS = (
    "sleep",
    "time",
    "time_ns",
    "monotonic",
    "monotonic_ns",
    "perf_counter",
    "perf_counter_ns",
)


class Leash:
    """The adapter's threads, how far their clock has moved, and what they may still do."""

    def __init__(self, now: Callable[[], float], advance: Callable[[float], object]) -> None:
        self._now = now
        self._advance = advance
        self.began = now()
        self.threads: set[int] = set()
        # After the run: the adapter's threads still alive, which may do nothing more.
        self.left: frozenset[threading.Thread] = frozenset()
        self.closed = False
        self._lock = threading.Lock()
        self.on_wait: Callable[[], None] = lambda: None

    def adopt(self) -> None:
        """The calling thread is the adapter's (its own, or one it started)."""
        with self._lock:
            self.threads.add(threading.get_ident())

    def mine(self) -> bool:
        return threading.get_ident() in self.threads

    def fenced(self) -> bool:
        """Whether the calling thread is one the adapter left running after its run."""
        return self.closed and threading.current_thread() in self.left

    def offset(self) -> float:
        return self._now() - self.began

    def now(self) -> float:
        return self._now()

    def wait(self, seconds: float) -> None:
        if self.closed:
            raise Runaway("its run is over")
        self._advance(max(0.0, seconds))
        self.on_wait()

    def close(self, runner: threading.Thread) -> bool:
        """End the run. A `runner` still going gets `Runaway` raised in it at its next
        Python instruction; every thread of the adapter still alive is fenced. Answers
        whether any was left."""
        with self._lock:
            self.closed = True
            self.left = frozenset(t for t in threading.enumerate() if t.ident in self.threads)
            self.threads = set()
        if runner in self.left and runner.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(runner.ident), ctypes.py_object(Runaway)
            )
        return bool(self.left)


# Libraries whose clocks must stay real in the adapter's threads: gRPC turns a timeout
# into a wall-clock deadline its C core enforces, so a virtual `time.time()` would put
# every deadline in the past (or the future).
_REAL_CLOCK_LIBRARIES = ("grpc",)


def _virtual_here(leash: Leash) -> bool:
    """Whether the clock's caller (two frames up) is the adapter's own code."""
    if not leash.mine():
        return False
    caller = str(sys._getframe(2).f_globals.get("__name__", ""))
    return caller.split(".", 1)[0] not in _REAL_CLOCK_LIBRARIES


def _clocks(leash: Leash, real: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    """The replacements: each reads the leash's clock in the adapter's threads only."""
    mono0, perf0 = real["monotonic"](), real["perf_counter"]()

    def read(name: str, virtual: Callable[[], float]) -> Callable[[], Any]:
        scale = _NS if name.endswith("_ns") else 1
        base = name.removesuffix("_ns")

        def clock() -> Any:
            if _virtual_here(leash):
                value = virtual()
                return int(value * scale) if scale != 1 else value
            return real[name]()

        clock.__name__ = base
        return clock

    def sleep(seconds: float) -> None:
        if _virtual_here(leash):
            leash.wait(float(seconds))
        else:
            real["sleep"](seconds)

    virtual = {
        "time": leash.now,
        "monotonic": lambda: mono0 + leash.offset(),
        "perf_counter": lambda: perf0 + leash.offset(),
    }
    clocks: dict[str, Any] = {"sleep": sleep}
    for name in _CLOCKS:
        if name != "sleep":
            clocks[name] = read(name, virtual[name.removesuffix("_ns")])
    return clocks


class _Virtual(type):
    """isinstance and issubclass answer as for the real datetime: code that checks a
    value's type keeps working, in any thread, while the class is swapped."""

    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, _REAL_DATETIME)

    def __subclasscheck__(cls, klass: type) -> bool:
        return issubclass(klass, _REAL_DATETIME)


def _datetime_class(leash: Leash) -> type[_datetime.datetime]:
    real = _REAL_DATETIME

    class VirtualDatetime(real, metaclass=_Virtual):  # type: ignore[misc,valid-type]
        """datetime whose now(), utcnow() and today() read the adapter's clock."""

        @classmethod
        def now(cls, tz: _datetime.tzinfo | None = None) -> Any:
            if not leash.mine():
                return real.now(tz)
            return real.fromtimestamp(leash.now(), tz)

        @classmethod
        def utcnow(cls) -> Any:
            if not leash.mine():
                return real.now(_datetime.timezone.utc).replace(tzinfo=None)
            stamp = real.fromtimestamp(leash.now(), _datetime.timezone.utc)
            return stamp.replace(tzinfo=None)

        @classmethod
        def today(cls) -> Any:
            return cls.now()

    return VirtualDatetime


class BoundNames:
    """Where modules bound the real clocks to names of their own (`from time import sleep`):
    found once, then only new modules are looked at, so each run pays for a few at most."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._found: list[tuple[ModuleType, str, Any]] = []

    def find(self, originals: dict[int, Any]) -> list[tuple[ModuleType, str, Any]]:
        for module in list(sys.modules.values()):
            if id(module) in self._seen:
                continue
            self._seen.add(id(module))
            names = getattr(module, "__dict__", None)
            if not isinstance(names, dict) or getattr(module, "__name__", "") in _OWN_CLOCKS:
                continue
            for name, value in list(names.items()):
                if id(value) in originals and originals[id(value)] is value:
                    self._found.append((module, name, value))
        # A name rebound since (or a module gone) is left alone.
        return [(m, n, v) for m, n, v in self._found if getattr(m, n, None) is v]


_SERVING = ("mockserver.", "starlette.", "anyio.", "pytest_plugin.")


def _serving(frame: FrameType | None) -> bool:
    """Whether the emulator, served in-process in the adapter's thread, is on the stack
    between here and the adapter's own code (whose base is the checks' runner)."""
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module == "pytest_plugin._adapter_run":
            return False
        if module.startswith(_SERVING):
            return True
        frame = frame.f_back
    return False


@contextmanager
def no_certificates(leash: Leash) -> Iterator[None]:
    """In the adapter's threads, TLS contexts skip loading certificate stores: the checks
    never open a TLS connection (in-process or loopback only), and loading a store costs
    tens of milliseconds per HTTP client an adapter builds. A context without a store
    could not verify any peer, so nothing becomes reachable that was not."""
    context = ssl.SSLContext
    real = {
        name: getattr(context, name) for name in ("load_default_certs", "load_verify_locations")
    }

    def skipping(name: str) -> Callable[..., None]:
        def load(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
            if not leash.mine():
                real[name](self, *args, **kwargs)

        return load

    for name in real:
        setattr(context, name, skipping(name))
    try:
        yield
    finally:
        for name, method in real.items():
            setattr(context, name, method)


@contextmanager
def virtual_time(leash: Leash, names: BoundNames | None = None) -> Iterator[None]:
    """Patch every clock for the run; put all of it back after."""
    real = {name: getattr(time, name) for name in _CLOCKS}
    fakes = _clocks(leash, real)
    by_id: dict[int, Any] = {id(f): f for f in real.values()}
    by_id[id(_REAL_DATETIME)] = _REAL_DATETIME
    virtual_dt = _datetime_class(leash)
    replacement = {id(real[n]): fakes[n] for n in real}
    replacement[id(_REAL_DATETIME)] = virtual_dt
    bound = (names or BoundNames()).find(by_id)
    real_async_sleep, real_start = asyncio.sleep, threading.Thread.start

    async def async_sleep(delay: float, result: Any = None) -> Any:
        if leash.mine():
            leash.wait(float(delay))
            delay = 0
        return await real_async_sleep(delay, result)

    def start(thread: threading.Thread) -> None:
        # A thread the adapter starts is the adapter's too; one the emulator starts while
        # serving the adapter in-process (anyio's workers) is not.
        if leash.mine() and not _serving(sys._getframe(1)):
            run = thread.run

            def adopted() -> None:
                leash.adopt()
                run()

            thread.run = adopted  # type: ignore[method-assign]
        real_start(thread)

    for name, fake in fakes.items():
        setattr(time, name, fake)
    _datetime.datetime = virtual_dt  # type: ignore[misc]
    for module, name, original in bound:
        setattr(module, name, replacement[id(original)])
    asyncio.sleep = async_sleep
    threading.Thread.start = start  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        threading.Thread.start = real_start  # type: ignore[method-assign]
        asyncio.sleep = real_async_sleep
        for module, name, original in bound:
            setattr(module, name, original)
        _datetime.datetime = _REAL_DATETIME  # type: ignore[misc]
        for name, original in real.items():
            setattr(time, name, original)
