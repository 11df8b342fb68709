"""Request-scoped dependencies shared by every feature's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from redbridge.services import Services

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


def client_ip(request: Request) -> str:
    settings = services_of(request).settings
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


ServicesDep = Annotated[Services, Depends(get_services)]
DbDep = Annotated[Session, Depends(get_db)]
