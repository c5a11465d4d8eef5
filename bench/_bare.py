"""The bare Starlette app the benchmarks measure the emulator against: the same HTTP work
as the emulator's answers (a status body, a submit echoing its prompt, image bytes), with
nothing behind it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ID = "6f1c0e1e-5ad4-4b7a-9a53-0d4c1c0f7d11"
STATUS = {
    "status": "PROCESSING",
    "request_id": ID,
    "metrics": {},
    "status_url": f"http://127.0.0.1/segmind/v2/requests/{ID}/status",
    "response_url": f"http://127.0.0.1/segmind/v2/requests/{ID}",
}
# Image bytes; the benchmark sizes them to the emulator's download (`serve_media`).
MEDIA = bytes(range(256)) * 400


def serve_media(size: int) -> None:
    """Answer /media with `size` bytes: the same HTTP work as the download measured."""
    global MEDIA
    MEDIA = bytes(range(256)) * (size // 256) + bytes(size % 256)


async def status(request: Request) -> Response:
    return JSONResponse(STATUS)


async def submit(request: Request) -> Response:
    body = await request.json()
    return JSONResponse({"request_id": ID, "status": "QUEUED", "prompt": body.get("prompt")})


async def media(request: Request) -> Response:
    return Response(MEDIA, media_type="image/jpeg")


app = Starlette(
    routes=[
        Route("/status", status),
        Route("/submit", submit, methods=["POST"]),
        Route("/media", media),
    ]
)
