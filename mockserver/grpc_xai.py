"""xAI's gRPC Image service, what the official `xai-sdk` calls, on the REST surface's engine.

Each `GenerateImage` is the REST request it stands for (generations, or edits when it
carries input images), served in-process by the xAI surface, so accounts, jobs, journal,
scenarios, chaos, latency, moderation, the clock and media are one; its answer comes back
as the SDK's `ImageResponse`, and a refusal as the gRPC status its REST `code` names
(`contracts.xai_grpc`). grpcio and xai-sdk's protos are imported with this module only.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping
from typing import Any

import grpc
import httpx
from xai_sdk.proto import image_pb2, image_pb2_grpc, usage_pb2

from contracts.openai_images import DEPRECATED_ALIASES
from contracts.xai_grpc import XAI_GRPC
from mockserver.app import MockApp
from mockserver.engine.errors import InProcessFault, ServeError
from mockserver.inprocess import call_app

__all__ = ["GrpcServer", "ImageService"]

_GENERATIONS, _EDITS = "/v1/images/generations", "/v1/images/edits"
# Metadata passed on as the REST request's headers.
_PASSED = ("authorization", "x-mock-scenario", "x-mock-profile", "x-request-id")
_DEFAULT_MODEL = "grok-imagine-image"


def rest_request(request: Any) -> tuple[str, dict[str, Any]]:
    """The REST path and JSON body a `GenerateImageRequest` stands for."""
    body: dict[str, Any] = {"prompt": request.prompt}
    for field, value in (("model", request.model), ("n", request.n), ("user", request.user)):
        if value:
            body[field] = value
    for rest, proto in (
        ("response_format", "format"),
        ("aspect_ratio", "aspect_ratio"),
        ("resolution", "resolution"),
        ("quality", "quality"),
    ):
        number = getattr(request, proto)
        if number:  # 0 is the enum's INVALID: not given
            name = request.DESCRIPTOR.fields_by_name[proto].enum_type.values_by_number[number]
            body[rest] = XAI_GRPC.enums[rest].get(name.name, name.name)
    inputs = [_input(item) for item in request.images]
    if request.HasField("image"):
        body["image"] = _input(request.image)
    elif inputs:
        body["images"] = inputs
    return (_EDITS if "image" in body or "images" in body else _GENERATIONS), body


def _input(item: Any) -> dict[str, str]:
    return {"url": item.image_url} if item.image_url else {"file_id": item.file_id}


def image_response(answer: Mapping[str, Any], body: Mapping[str, Any]) -> Any:
    """The SDK's `ImageResponse` for a REST success body (base64 as a data URI)."""
    images = []
    for item in answer.get("data", []):
        kept = item.get("respect_moderation", True)
        if item.get("b64_json"):
            data = f"data:{item.get('mime_type', 'image/jpeg')};base64,{item['b64_json']}"
            images.append(image_pb2.GeneratedImage(base64=data, respect_moderation=kept))
        else:
            images.append(
                image_pb2.GeneratedImage(url=item.get("url") or "", respect_moderation=kept)
            )
    model = str(body.get("model") or _DEFAULT_MODEL)
    usage = usage_pb2.SamplingUsage(cost_in_usd_ticks=int(answer["usage"]["cost_in_usd_ticks"]))
    return image_pb2.ImageResponse(
        images=images, model=DEPRECATED_ALIASES.get(model, model), usage=usage
    )


def status_for(http_status: int, answer: Any) -> tuple[grpc.StatusCode, str]:
    """The gRPC status and message for a REST error answer."""
    code = answer.get("code") if isinstance(answer, dict) else None
    name = XAI_GRPC.statuses.get(str(code)) or XAI_GRPC.fallback.get(http_status, "INTERNAL")
    message = answer.get("error") if isinstance(answer, dict) else None
    return grpc.StatusCode[name], str(message or answer)


class ImageService(image_pb2_grpc.ImageServicer):  # type: ignore[misc]
    """`xai_api.Image` over the xAI REST surface at `origin` (its base URL)."""

    def __init__(self, app: MockApp, origin: str) -> None:
        self.app = app
        self.origin = origin.rstrip("/")

    async def GenerateImage(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC's name
        path, body = rest_request(request)
        headers = {"content-type": "application/json", "x-grok-mock-transport": "grpc"}
        for key, value in context.invocation_metadata() or ():
            if key.lower() in _PASSED:
                headers[key.lower()] = value
        remaining = context.time_remaining()
        http = httpx.Request(
            "POST",
            self.origin + path,
            headers=headers,
            content=json.dumps(body).encode(),
            extensions={"timeout": {"read": remaining}} if remaining else {},
        )
        try:
            response = await call_app(self.app, http)
        except InProcessFault as fault:
            await _fault(fault, context)
        answer = _json(response)
        if response.status_code != 200:
            code, message = status_for(response.status_code, answer)
            await context.abort(code, message)
        return image_response(answer, body)


async def _fault(fault: InProcessFault, context: Any) -> None:
    """A network fault as a gRPC client meets it."""
    if fault.name in ("hang", "client-timeout"):
        remaining = context.time_remaining()
        if remaining:  # the client's own deadline ends it
            await asyncio.sleep(remaining + 0.05)
        await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    await context.abort(grpc.StatusCode.UNAVAILABLE, f"Socket closed ({fault.name})")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"error": response.text[:300]}


class GrpcServer:
    """A grpc.aio server for `xai_api.Image` on its own thread and event loop."""

    def __init__(self, app: MockApp, origin: str, host: str = "127.0.0.1", port: int = 0):
        self.service = ImageService(app, origin)
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """What `xai_sdk.Client(api_host=...)` takes: `localhost:PORT`."""
        host = "localhost" if self.host in ("127.0.0.1", "::1", "localhost") else self.host
        return f"{host}:{self.port}"

    def start(self) -> GrpcServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            self._stopping = asyncio.Event()
            server = grpc.aio.server()
            image_pb2_grpc.add_ImageServicer_to_server(self.service, server)
            try:
                self.port = server.add_insecure_port(f"{self.host}:{self.port}")
            except RuntimeError as exc:
                failure.append(ServeError(f"gRPC cannot listen on {self.host}:{self.port}: {exc}"))
                ready.set()
                return
            await server.start()
            ready.set()
            await self._stopping.wait()
            await server.stop(grace=0.5)

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(serve())
            finally:
                pending = asyncio.all_tasks(loop)
                for task in pending:  # what the requests left running (webhook runners)
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=run, name="grok-mock-grpc", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(5)
        self._thread = None
