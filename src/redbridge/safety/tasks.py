"""Jobs of trust and safety: the semantic matcher's check after a note or comment is published or
edited (docs/moderation.md, "Semantic matcher").

It runs after the fast text checks, as a job: the write has already been screened (a hold or a
refusal by the text pipeline happened in the request), and embedding (~20 ms a text on one core)
would otherwise sit in every write's answer. Content is therefore visible from its publication
until the job holds it — in practice the relay's latency: at once in ``immediate`` mode, well
under a second embedded or with workers keeping up.
"""

from __future__ import annotations

from typing import Any

from redbridge.core.jobs import job
from redbridge.core.services import Services
from redbridge.safety import actions, queries


@job("safety.semantic_check", on=("note.created", "note.updated", "comment.created"), retries=3)
def semantic_check(services: Services, payload: dict[str, Any]) -> None:
    """Embed the note's or comment's text and hold it if it is close to a marked example.

    Idempotent: the hold happens only to published content not approved by a moderator since its
    last edit, re-checked under the content's lock (``actions.semantic_hold``); a second delivery
    of the same event finds the content held, or approved, and does nothing. Without enabled
    examples nothing is embedded (one small query, at most every ``semantic.refresh_s``)."""
    if not services.settings.semantic.enabled:
        return
    kind, subject_id = (("comment", int(payload["comment_id"])) if "comment_id" in payload
                        else ("note", int(payload["note_id"])))
    index = queries.semantic_index(services)
    with services.sessions() as session:
        examples = index.examples(session)
        checked = queries.to_check(session, kind, subject_id) if examples is not None else None
    if examples is None or checked is None:
        return
    # Embedded with no session open: the connection goes back to the pool for the ~20 ms.
    match = index.matcher.check(examples, [checked.text], [checked.lang])[0]
    if match is None:
        return
    with services.sessions() as session:
        actions.semantic_hold(session, services.clock.now(), checked, match, payload.get("event_id"))
