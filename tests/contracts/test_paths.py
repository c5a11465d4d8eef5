"""A contract fills its operations' paths: the links every answer carries."""

from __future__ import annotations

import re

import pytest

from contracts import CONTRACTS, path_parts


@pytest.mark.parametrize("provider", sorted(CONTRACTS))
def test_every_operation_path_fills_as_str_format_would(provider: str) -> None:
    contract = CONTRACTS[provider]
    for operation in contract.operations:
        names = re.findall(r"\{(\w+)\}", operation.path)
        values = {name: f"<{name} é/{index}>" for index, name in enumerate(names)}
        assert contract.fill_path(operation.id, values) == operation.path.format(**values)


def test_a_path_with_several_parameters_fills_each_in_place() -> None:
    segmind = CONTRACTS["segmind"]
    filled = segmind.fill_path("media", {"job_id": "j-1", "token": "t", "ext": "png"})
    assert filled == "/media/j-1/t.png"
    assert segmind.fill_path("v2.status", {"request_id": "r"}) == "/v2/requests/r/status"


def test_a_missing_value_or_unknown_operation_is_a_key_error() -> None:
    segmind = CONTRACTS["segmind"]
    with pytest.raises(KeyError, match="request_id"):
        segmind.fill_path("v2.status", {"job_id": "r"})
    with pytest.raises(KeyError, match=r"v9\.nothing"):
        segmind.fill_path("v9.nothing", {})


def test_a_job_path_fills_the_one_parameter_and_refuses_other_operations() -> None:
    for contract in CONTRACTS.values():
        for operation in contract.operations:
            names = path_parts(operation.path)[1::2]
            if len(names) == 1:
                wanted = contract.fill_path(operation.id, {names[0]: "job-7"})
                assert contract.job_path(operation.id, "job-7") == wanted
            else:
                with pytest.raises(ValueError, match="path parameters, not one"):
                    contract.job_path(operation.id, "job-7")
