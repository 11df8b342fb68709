"""Request-scoped dependencies shared by every feature's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from redbridge.core.services import Services

# Both are ``async`` on purpose although they do no awaiting: FastAPI runs every *sync*
# dependency on the thread pool, one round trip each, and neither of these blocks (a Session
# connects lazily, on its first query, which happens inside a sync route or dependency).


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    return services_of(request)


async def get_db(services: Annotated[Services, Depends(get_services)]) -> AsyncIterator[Session]:
    session = services.sessions()
    try:
        yield session
    finally:
        session.close()


async def answer_json(services: Services, cached: Callable[[], bytes | None] | None,
                      compute: Callable[[], bytes]) -> Response:
    """How the hottest reads answer: ``cached`` (which must never touch the database) on the event
    loop, and only when it has nothing, ``compute`` in one thread-pool hop. A thread-pool round trip,
    a session and FastAPI's re-validation of the response model each cost more than a cached
    answer; the body is JSON the server serialised from its own models, so it is sent as is. With a
    shared cache (Redis) a cache read blocks on the network, so ``cached`` goes to the pool too."""
    body = None
    if cached is not None:
        body = cached() if services.cache.local else await run_in_threadpool(cached)
    if body is None:
        body = await run_in_threadpool(compute)
    return Response(body, media_type="application/json")


def client_ip(request: Request) -> str:
    """The client's address. Behind the ``trusted_proxies``, uvicorn's proxy-headers middleware
    (installed by ``create_app``) has already put the address the proxy saw here."""
    return request.client.host if request.client else "unknown"


ServicesDep = Annotated[Services, Depends(get_services)]
DbDep = Annotated[Session, Depends(get_db)]
