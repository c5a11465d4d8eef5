"""xAI's gRPC Image service, as its official SDK (`xai-sdk`) calls it: the mapping onto the
REST contract. Data only; the server lives in `mockserver.grpc_xai`.

`xai_api.Image/GenerateImage(GenerateImageRequest) -> ImageResponse` carries the same
request as `POST /v1/images/generations` (or `/v1/images/edits` when it has input
images), with enums where REST has strings, and answers the same images, model and cost.
"""

from __future__ import annotations

from contracts._common import XAI_RATIOS
from contracts._model import GrpcSurface, Note, from_facts, inferred

__all__ = ["XAI_GRPC"]

_SDK = from_facts(
    "§1.10: xai-sdk's generated protos (xai_sdk.proto image_pb2, image_pb2_grpc) and its "
    "image client"
)


XAI_GRPC = GrpcSurface(
    service="xai_api.Image",
    method="GenerateImage",
    source=_SDK,
    # Plain dicts: GrpcSurface freezes its tables.
    enums={
        "aspect_ratio": {
            **{f"IMG_ASPECT_RATIO_{r.replace(':', '_').replace('.', '_')}": r for r in XAI_RATIOS},
            "IMG_ASPECT_RATIO_AUTO": "auto",
        },
        "resolution": {"IMG_RESOLUTION_1K": "1k", "IMG_RESOLUTION_2K": "2k"},
        "response_format": {"IMG_FORMAT_URL": "url", "IMG_FORMAT_BASE64": "b64_json"},
        "quality": {
            "IMG_QUALITY_LOW": "low",
            "IMG_QUALITY_MEDIUM": "medium",
            "IMG_QUALITY_HIGH": "high",
        },
    },
    statuses={
        "invalid-argument": "INVALID_ARGUMENT",
        "permission-denied": "PERMISSION_DENIED",
        "not-found": "NOT_FOUND",
        "resource-exhausted": "RESOURCE_EXHAUSTED",
        "internal": "INTERNAL",
        "unavailable": "UNAVAILABLE",
        "deadline-exceeded": "DEADLINE_EXCEEDED",
        # The legacy variant's words for the same statuses.
        "Client specified an invalid argument": "INVALID_ARGUMENT",
        "The caller does not have permission": "PERMISSION_DENIED",
        "Some requested entity was not found": "NOT_FOUND",
        "Some resource has been exhausted": "RESOURCE_EXHAUSTED",
        "Internal error": "INTERNAL",
        "The service is currently unavailable": "UNAVAILABLE",
        "Deadline expired before operation could complete": "DEADLINE_EXCEEDED",
    },
    statuses_source=inferred(
        "xAI's REST error `code` names the gRPC status behind the answer (kebab-case, or the "
        "status's description in older captures): over gRPC that status itself is sent, "
        "with the same message"
    ),
    fallback={
        400: "INVALID_ARGUMENT",
        404: "NOT_FOUND",
        413: "INVALID_ARGUMENT",
        415: "INVALID_ARGUMENT",
        422: "INVALID_ARGUMENT",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        502: "UNAVAILABLE",
        503: "UNAVAILABLE",
        504: "DEADLINE_EXCEEDED",
    },
    notes=(
        Note(
            "gRPC",
            "xai_api.Image/GenerateImage is served on the same engine as REST (accounts, jobs, "
            "journal, scenarios, media): a request with `image` or `images` is an edit; "
            "IMG_FORMAT_BASE64 answers a data URI in `base64`; errors are the REST error's "
            "gRPC status with its message; network faults arrive as UNAVAILABLE, a hang as "
            "the client's own DEADLINE_EXCEEDED.",
            _SDK,
        ),
        Note(
            "gRPC metadata",
            "The key travels as `authorization: Bearer KEY` call metadata; `x-mock-scenario` "
            "and `x-mock-profile` metadata choose a scenario or profile as the headers do.",
            inferred("the SDK sends the key as metadata; the mock's own controls ride along"),
        ),
    ),
)
