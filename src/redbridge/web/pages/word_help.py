"""Word help on the note page (docs/translation.md, "Word glosses"): whether the page offers it,
and — for ``?glosses=1``, the link that works without JavaScript — the word list under the note.
With JavaScript, ``static/js/glosses.js`` reads ``/api/v1/notes/{id}/glosses`` instead."""

from __future__ import annotations

from typing import Any

from redbridge.core.deps import client_ip
from redbridge.glossary import queries
from redbridge.glossary.schemas import NoteGlossesOut
from redbridge.notes.schemas import NoteOut
from redbridge.web.deps import PageContext


def context(page: PageContext, note_id: int, note: NoteOut) -> dict[str, Any]:
    """``word_help`` for ``pages/note.html``: ``offered``, ``on`` (the word list is asked for),
    ``rows`` (``queries.WordRow``), ``url`` (this note's page) and ``api`` (its glosses)."""
    offered = queries.offers_glosses(note.lang, str(page.locale))
    on = offered and page.request.query_params.get("glosses") == "1"
    rows: list[queries.WordRow] = []
    if on:
        queries.spend(page.services, page.viewer_id, client_ip(page.request))
        raw = queries.note_glosses_json(page.services, page.session, note_id, page.viewer_id)
        rows = queries.word_rows(NoteGlossesOut.model_validate_json(raw))
    return {"offered": offered, "on": on, "rows": rows, "url": f"/n/{note.id}",
            "api": f"/api/v1/notes/{note.id}/glosses"}
