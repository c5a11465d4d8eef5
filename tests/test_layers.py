"""The architecture, enforced: who may import whom, one exception tree, frozen contracts,
a typed package."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import contracts
import mockserver
import pytest_plugin
from contracts import CONTRACTS
from mockserver.engine import errors

ROOT = Path(__file__).resolve().parents[1]
HTTP_LIBRARIES = {"httpx", "httpx2", "httpcore", "starlette", "uvicorn", "h11", "requests"}
HTTP_LIBRARIES |= {"aiohttp", "urllib3", "grpc"}


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        yield name.removesuffix(".__init__"), path


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (type-checking imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def offences(package: str, allowed: Any) -> list[str]:
    return [
        f"{name} imports {module}"
        for name, path in modules(package)
        for module in sorted(imports(path))
        if not allowed(name, module)
    ]


def top(module: str) -> str:
    return module.split(".", 1)[0]


def test_contracts_import_nothing_of_ours_and_no_web_framework() -> None:
    def allowed(name: str, module: str) -> bool:
        return top(module) not in {"mockserver", "pytest_plugin", "starlette", "uvicorn"}

    assert offences("contracts", allowed) == []


def test_the_engine_imports_no_http_library_no_web_framework_and_no_provider() -> None:
    def allowed(name: str, module: str) -> bool:
        if not name.startswith("mockserver.engine"):
            return True
        if top(module) in HTTP_LIBRARIES:
            return False
        ours = top(module) == "mockserver"
        return not ours or module.startswith("mockserver.engine")

    assert offences("mockserver", allowed) == []


def test_no_provider_imports_another() -> None:
    def allowed(name: str, module: str) -> bool:
        if not name.startswith("mockserver.providers.") or not module.startswith(
            "mockserver.providers."
        ):
            return True
        return module.split(".")[2] == name.split(".")[2]

    assert offences("mockserver", allowed) == []


def test_mockserver_never_imports_the_plugin() -> None:
    assert offences("mockserver", lambda name, module: top(module) != "pytest_plugin") == []


@pytest.mark.parametrize("package", ["mockserver", "pytest_plugin", "tests", "bench", "examples"])
def test_nothing_outside_contracts_imports_its_private_modules(package: str) -> None:
    def allowed(name: str, module: str) -> bool:
        return not module.startswith("contracts._")

    assert offences(package, allowed) == []


def test_every_error_of_ours_is_in_the_one_tree() -> None:
    roots = (errors.MockError, errors.MockSignal)
    strays = []
    for package in (mockserver, pytest_plugin, contracts):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith("__main__"):
                continue  # running it would start the CLI
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                ours = inspect.isclass(value) and value.__module__ == module.__name__
                public = ours and not name.startswith("_") and issubclass(value, BaseException)
                if public and not issubclass(value, roots):
                    strays.append(f"{module.__name__}.{name}")
    assert strays == []
    tree = errors.__doc__ or ""
    for name in errors.__all__:
        assert name in tree, f"{name} is not drawn in the tree in mockserver/engine/errors.py"


def _mutable_parts(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, (dict, list, set)):
        yield path
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _mutable_parts(item, f"{path}[{key!r}]")
    elif isinstance(value, (tuple, frozenset)):
        for index, item in enumerate(value):
            yield from _mutable_parts(item, f"{path}[{index}]")
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _mutable_parts(getattr(value, name), f"{path}.{name}")


@pytest.mark.parametrize("provider", list(CONTRACTS))
def test_contracts_are_frozen_all_the_way_down(provider: str) -> None:
    contract = CONTRACTS[provider]
    assert list(_mutable_parts(contract, provider)) == []
    with pytest.raises(TypeError):
        contract.errors["new-case"] = contract.errors["server-error"]  # type: ignore[index]
    with pytest.raises(TypeError):
        CONTRACTS["other"] = contract  # type: ignore[index]


def test_the_packages_are_typed() -> None:
    for package in ("mockserver", "pytest_plugin", "contracts"):
        assert (ROOT / package / "py.typed").exists()
