"""A contract fills its operations' paths: the links every answer carries."""

from __future__ import annotations

import re

import pytest

from contracts import CONTRACTS, path_parts


@pytest.mark.parametrize("provider", sorted(CONTRACTS))
def test_a_job_path_fills_as_str_format_would_and_refuses_other_operations(
    provider: str,
) -> None:
    contract = CONTRACTS[provider]
    for operation in contract.operations:
        names = re.findall(r"\{(\w+)\}", operation.path)
        if len(names) == 1:
            wanted = operation.path.format(**{names[0]: "<job é/7>"})
            assert contract.job_path(operation.id, "<job é/7>") == wanted
        else:
            with pytest.raises(ValueError, match="path parameters, not one"):
                contract.job_path(operation.id, "job-7")


def test_a_path_splits_into_text_and_parameter_names_alternately() -> None:
    assert path_parts("/media/{job_id}/{token}.{ext}") == (
        "/media/",
        "job_id",
        "/",
        "token",
        ".",
        "ext",
        "",
    )
    assert path_parts("/v2/requests/{request_id}/status") == (
        "/v2/requests/",
        "request_id",
        "/status",
    )
    assert path_parts("/v1/images/generations") == ("/v1/images/generations",)


def test_an_unknown_operation_is_a_key_error() -> None:
    with pytest.raises(KeyError, match=r"v9\.nothing"):
        CONTRACTS["segmind"].job_path("v9.nothing", "r")
