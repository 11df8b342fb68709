"""``redbridge serve | migrate | demo | createadmin | worker | moderation export / import | translate |
doctor | search reindex``."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from redbridge.settings import Settings


def _settings() -> Settings:
    return Settings()


def cmd_migrate(_args: argparse.Namespace) -> int:
    from redbridge.core import db, migrate

    settings = _settings()
    engine = db.make_engine(settings)
    migrate.upgrade(engine)
    engine.dispose()
    print(f"database at head: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if not args.no_migrate:
        cmd_migrate(args)
    uvicorn.run(
        "redbridge.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        # X-Forwarded-For is read by the app itself, from the configured trusted proxies only.
        proxy_headers=False,
        access_log=args.access_log,
    )
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    from redbridge.accounts import actions, queries
    from redbridge.core import db
    from redbridge.core.clock import SystemClock
    from redbridge.core.security import PasswordHasher

    settings = _settings()
    password = args.password or os.environ.get("REDBRIDGE_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    actions.check_password(password, args.username)
    hasher = PasswordHasher(settings.passwords)
    engine = db.make_engine(settings)
    sessions = db.make_sessionmaker(engine)
    password_hash = hasher.hash_sync(password)  # before any transaction (``core.db.write``, rule 3)
    with sessions() as session:
        existing = queries.by_username(session, args.username)
        if existing is not None:
            actions.make_admin(session, existing.id, password_hash)
            print(f"{args.username} is now an admin")
        else:
            actions.check_username(session, args.username)
            actions.create_user(session, SystemClock().now(), username=args.username,
                                password_hash=password_hash, role="admin")
            print(f"created admin {args.username}")
    hasher.close()
    engine.dispose()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from redbridge.demo.seed import seed

    settings = _settings()
    seed(settings, users=args.users, notes=args.notes, images=not args.no_images)
    from redbridge.search.cli import reindex

    # The seed writes rows directly: a newcomer's first search must find them. The vectors are
    # embedded by the server in the background once it runs (~40 ms a note).
    reindex(settings, vectors=False)
    if args.no_serve:
        return 0
    args.no_migrate = True
    return cmd_serve(args)


def cmd_worker(args: argparse.Namespace) -> int:
    from redbridge.app import create_app

    settings = _settings()
    if settings.jobs_mode != "redis":
        print("redbridge worker consumes the Redis queue; set REDBRIDGE_JOBS_MODE=redis and REDBRIDGE_REDIS_URL",
              file=sys.stderr)
        return 2
    app = create_app(settings)
    services = app.state.services
    # Workers relay the outbox too: rows left by a crashed app process reach the queue even when
    # no app process is running.
    services.queue.start_relay()
    consumer = services.queue.huey.create_consumer(workers=args.workers, worker_type="thread")
    try:
        consumer.run()
    finally:
        services.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(prog="redbridge", description="Redbridge community server")
    sub = parser.add_subparsers(dest="command", required=True)

    def serve_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=1)
        p.add_argument("--no-migrate", action="store_true")
        p.add_argument("--access-log", action="store_true")

    serve = sub.add_parser("serve", help="run the web server")
    serve_options(serve)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database to the newest schema").set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="create a bilingual demo community, then serve it")
    serve_options(demo)
    demo.add_argument("--users", type=int, default=40)
    demo.add_argument("--notes", type=int, default=300)
    demo.add_argument("--no-images", action="store_true", help="text covers only (fast, for benchmarks)")
    demo.add_argument("--no-serve", action="store_true")
    demo.set_defaults(func=cmd_demo)

    admin = sub.add_parser("createadmin", help="create an admin account (or promote an existing one)")
    admin.add_argument("username")
    admin.add_argument("--password", help="else REDBRIDGE_ADMIN_PASSWORD or a prompt")
    admin.set_defaults(func=cmd_createadmin)

    worker = sub.add_parser("worker", help="consume background jobs from Redis (cluster mode)")
    worker.add_argument("--workers", type=int, default=4)
    worker.set_defaults(func=cmd_worker)

    from redbridge.rules.cli import add_commands as moderation_commands

    moderation_commands(sub)

    from redbridge.translations.cli import add_commands as translation_commands

    translation_commands(sub)

    from redbridge.search.cli import add_commands as search_commands

    search_commands(sub)

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
