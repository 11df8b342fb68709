"""``redbridge search reindex``: rebuild the search index from the database, with a progress line."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from redbridge.core import services as services_mod
from redbridge.search import actions
from redbridge.settings import Settings


def reindex(settings: Settings, out: TextIO | None = None, *, vectors: bool = True) -> int:
    """Replace the index with every findable note, recount the tags suggestions offer, and bring the vector index in line (unless
    ``vectors`` is false: the demo leaves that to the server's background reconciliation, which
    embeds the notes while it already serves); returns how many. Readers of a running server keep
    the old index until the new one is committed whole."""
    out = out or sys.stdout  # looked up now: a redirected stdout (tests, pipes) is honoured
    services = services_mod.build(settings)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        out.write(f"\rindexed {done}/{total} notes ({rate:,.0f}/s)")
        out.flush()

    try:
        count = actions.rebuild(services, progress, vectors=vectors)
        # The suggestions' tags too: a seed or a restore writes notes without the events that
        # count them (docs/search.md, "Suggestions, trending, history").
        tags = actions.refresh_tags(services)
    finally:
        services.close()
    out.write(f"\rsearch index rebuilt: {count} notes in {time.monotonic() - started:.1f} s; {tags} tags to suggest\n")
    return count


def cmd_reindex(args: argparse.Namespace) -> int:
    reindex(Settings())
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    search = sub.add_parser("search", help="the search index")
    commands = search.add_subparsers(dest="search_command", required=True)
    commands.add_parser("reindex", help="rebuild the search index from the database").set_defaults(func=cmd_reindex)
