"""`record` behaves as the dataclass it stands in for, where our code and users rely on it."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections import deque
from dataclasses import FrozenInstanceError, field
from typing import ClassVar

import pytest

from contracts.record import record


@record
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
    LIMIT: ClassVar[int] = 3


@record(slots=True)
class Slotted:
    name: str
    hidden: str = field(default="secret", repr=False)
    seen: int = field(default=0, compare=False)


@record(frozen=False)
class Counter:
    total: int = 0
    history: deque[int] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.history.append(self.total)


@record(frozen=False, eq=False, slots=True)
class Handle:
    label: str


@record
class Child(Point):
    z: int = 9


def test_init_defaults_and_factories_as_dataclass_does() -> None:
    assert (Point(1).x, Point(1).y, Point(1, y=2).y) == (1, 0, 2)
    first, second = Counter(), Counter(5)
    first.history.append(1)
    assert (list(first.history), list(second.history)) == ([0, 1], [5])  # one deque each
    assert Child(1, 2, (), 3) == Child(x=1, y=2, z=3)
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]


def test_defaults_live_in_init_not_on_the_class() -> None:
    # A sentinel left on the class keeps Python 3.11 from specializing reads of the field.
    assert not {"y", "tags", "z"} & {*Point.__dict__, *Child.__dict__}
    assert "total" not in Counter.__dict__
    assert (Point(1).tags, Child(1).z, Point.LIMIT) == ((), 9, 3)


def test_frozen_records_refuse_changes_and_hash_by_value() -> None:
    point = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        point.x = 5  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del point.y  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        Slotted("a").name = "b"  # type: ignore[misc]
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2)}) == 1
    assert Point(1, 2) != Child(1, 2)  # another class is never equal
    assert Slotted("a", seen=1) == Slotted("a", seen=2)  # compare=False is not compared


def test_mutable_records_change_and_are_unhashable_unless_identity() -> None:
    counter = Counter()
    counter.total = 4
    assert counter.total == 4
    with pytest.raises(TypeError):
        hash(counter)
    handle = Handle("h")
    assert handle != Handle("h")  # eq=False: identity
    assert handle == handle


def test_repr_names_fields_and_hides_repr_false() -> None:
    assert repr(Point(1)) == "Point(x=1, y=0, tags=())"
    assert repr(Slotted("a")) == "Slotted(name='a', seen=0)"
    assert repr(Child(1)) == "Child(x=1, y=0, tags=(), z=9)"


@record(slots=True)
class SlottedChild(Slotted):
    extra: int = 1


@record(slots=True)
class OnPoint(Point):  # its base has no slots: x, y and tags live in the instance's dict
    w: int = 2


def test_frozen_slotted_records_fill_inherited_fields_and_still_refuse_changes() -> None:
    child = SlottedChild("a", "b", 3, 4)
    assert (child.name, child.hidden, child.seen, child.extra) == ("a", "b", 3, 4)
    assert SlottedChild("a") == SlottedChild("a", "secret", 9, 1)  # seen is not compared
    on_point = OnPoint(1, 2, ("t",), 5)
    assert (on_point.x, on_point.y, on_point.tags, on_point.w) == (1, 2, ("t",), 5)
    for made, name in ((child, "name"), (child, "extra"), (on_point, "x"), (on_point, "w")):
        with pytest.raises(FrozenInstanceError):
            setattr(made, name, 0)


def test_slots_mean_no_instance_dict() -> None:
    assert not hasattr(Slotted("a"), "__dict__")
    assert not hasattr(Handle("h"), "__dict__")
    assert Slotted.__qualname__ == "Slotted"


def test_the_dataclasses_module_works_on_records() -> None:
    assert dataclasses.is_dataclass(Point(1))
    assert [f.name for f in dataclasses.fields(Child)] == ["x", "y", "tags", "z"]
    assert dataclasses.replace(Point(1, 2), y=7) == Point(1, 7)
    assert dataclasses.asdict(Slotted("a")) == {"name": "a", "hidden": "secret", "seen": 0}
    assert Point.LIMIT == 3
    assert "LIMIT" not in {f.name for f in dataclasses.fields(Point)}


def test_copies_and_pickles_keep_frozen_slotted_records_whole() -> None:
    original = Slotted("a", "b", 3)
    pickled = pickle.loads(pickle.dumps(original))
    for twin in (copy.copy(original), copy.deepcopy(original), pickled):
        assert (twin.name, twin.hidden, twin.seen) == ("a", "b", 3)
    assert pickle.loads(pickle.dumps(Point(1, 2, ("t",)))) == Point(1, 2, ("t",))


def test_unsupported_fields_are_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="no default, after a field with one"):

        @record
        class Wrong:
            a: int = 1
            b: int

    with pytest.raises(TypeError, match="not supported"):

        @record
        class KeywordOnly:
            a: int = field(kw_only=True)
