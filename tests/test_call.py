"""A Call, made once per request, sets every field of the classes it is made of."""

from __future__ import annotations

from mockserver import Emulator
from mockserver.call import Call
from mockserver.engine import JournalEntry


def test_a_call_sets_every_field_its_classes_declare() -> None:
    emulator = Emulator()
    contract = emulator.contracts["segmind"]
    operation = contract.operations[0]
    entry = JournalEntry(0.0, "GET", "/", "h")
    scope = {"type": "http", "headers": [(b"x-api-key", b"k")]}
    call = Call(scope, None, emulator, contract, operation, entry, "http://h", {})  # type: ignore[arg-type]
    declared = {name for cls in type(call).__mro__ for name in getattr(cls, "__slots__", ())}
    unset = sorted(name for name in declared if not hasattr(call, name))
    assert unset == []
    assert (call.emulator, call.contract, call.entry, call.scope) == (
        emulator,
        contract,
        entry,
        scope,
    )
    assert (call.base_url, call.provider, call.header("x-api-key")) == ("http://h", "segmind", "k")
