"""/healthz (the process answers), /readyz (it can serve: database reads and writes, Redis, not
saturated), /metrics (Prometheus). All three bypass admission control and answer on the event
loop, so they never wait behind a crowd (``core.admission``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel

from redbridge.ops.checks import Readiness

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}
    load: dict[str, int] = {}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request, response: Response) -> Health:
    readiness: Readiness = request.app.state.readiness
    checks = await readiness.checks()
    ok = all(v == "ok" for v in checks.values())
    response.status_code = 200 if ok else 503
    if not ok:
        response.headers["Retry-After"] = "5"
    return Health(status="ok" if ok else "unavailable", checks=checks, load=readiness.load())


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics
    await request.app.state.outbox_gauges.refresh()  # measured on a thread of its own, bounded in time
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/ping", response_model=Health, tags=["ops"])
async def ping() -> Health:
    """The cheapest JSON endpoint: the framework's ceiling in benchmarks."""
    return Health(status="ok")
