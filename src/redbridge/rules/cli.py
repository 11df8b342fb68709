"""``redbridge moderation export [--file F] [--include-defaults]`` and ``redbridge moderation import F
[--replace] [--dry-run]`` (wired from ``redbridge.cli``). The file format: ``rules.transfer``.

An import is validated whole before anything is written (every problem is printed, exit 1) and
written in one transaction with one audit row (``rules.import``, actor none, ``via: cli``). Running
servers notice the new rules version within a second or two (``moderation.live``): this process
has no app to tell.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    moderation = sub.add_parser("moderation", help="moderation rules: export and import (YAML)")
    commands = moderation.add_subparsers(dest="moderation_command", required=True)
    export = commands.add_parser("export", help="write administrators' rules and overrides as YAML")
    export.add_argument("--file", type=Path, help="default: standard output")
    export.add_argument("--include-defaults", action="store_true",
                        help="also the shipped rules, as in force (instead of an overrides list)")
    export.set_defaults(func=cmd_export)
    load = commands.add_parser("import", help="validate and apply a YAML rules file, all or nothing")
    load.add_argument("file", type=Path)
    load.add_argument("--replace", action="store_true",
                      help="delete administrators' rules and overrides the file does not name")
    load.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    load.set_defaults(func=cmd_import)


def cmd_export(args: argparse.Namespace) -> int:
    from redbridge.core import db
    from redbridge.rules import queries, transfer
    from redbridge.settings import Settings

    engine = db.make_engine(Settings())
    try:
        with db.make_sessionmaker(engine)() as session:
            text = transfer.dump(queries.rules_all(session), queries.overrides_all(session),
                                 include_defaults=args.include_defaults)
    finally:
        engine.dispose()
    if args.file is None:
        sys.stdout.write(text)
    else:
        args.file.write_text(text, encoding="utf-8")
        print(f"wrote {args.file}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from redbridge.core import db
    from redbridge.core.clock import SystemClock
    from redbridge.rules import actions, transfer
    from redbridge.settings import Settings

    try:
        entries, shipped = transfer.parse(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, transfer.FileError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    engine = db.make_engine(Settings())
    try:
        with db.make_sessionmaker(engine)() as session:
            result = actions.import_rules(session, SystemClock().now(), entries, shipped, replace=args.replace,
                                          dry_run=args.dry_run, source=str(args.file))
    except actions.ImportRefusedError as exc:
        for line in exc.errors:
            print(f"error: {line}", file=sys.stderr)
        print(f"{len(exc.errors)} invalid rule(s): nothing imported", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    counts = ", ".join(f"{name} {count}" for name, count in result.summary().items())
    print(("dry run (nothing written): " if args.dry_run else f"imported (rules version {result.version}): ") + counts)
    return 0
