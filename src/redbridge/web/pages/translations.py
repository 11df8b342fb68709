"""Readers' translations of a note or one of its comments (docs/translation.md, "Community
translations"): ``/n/{note_id}/translations?to=<target>[&comment=<id>]`` lists them best first,
with vote and delete forms, and takes a new one (or the reader's own, replaced). Built on the
API's actions and queries; every form is a plain POST answered with a redirect back (no
JavaScript needed), and a refused one comes back 422 with the message and what was typed.
"""

from __future__ import annotations

from typing import Any, cast, get_args

from fastapi import APIRouter, Response

from redbridge.accounts import trust
from redbridge.core import ids
from redbridge.core.deps import client_ip
from redbridge.core.errors import AppError, not_found, path_id
from redbridge.core.i18n import _
from redbridge.moderation import screening
from redbridge.translations import actions, queries
from redbridge.translations.schemas import CommunityTranslationIn, Target, VoteIn
from redbridge.web.deps import FormDep, PageContext, PageDep, form_text
from redbridge.web.forms import FormErrors, catch, validate
from redbridge.web.pages.common import url_with

router = APIRouter(include_in_schema=False)
TARGETS: tuple[str, ...] = get_args(Target)


def _target(page: PageContext, raw: str | None) -> Target:
    """The target asked for, else the reader's own language (``en`` for a reader of neither)."""
    if raw in TARGETS:
        return cast(Target, raw)
    return cast(Target, page.locale if page.locale in TARGETS else "en")


def _item(page: PageContext, note_id: int, comment: str | None) -> queries.Item:
    """The note, or one of its comments, as the reader may see it (404 otherwise, as reading)."""
    if comment:
        item = queries.visible_item(page.session, "comment", path_id(comment, "comment"), page.viewer_id)
        if item.note_id != note_id:
            raise not_found("comment")
        return item
    return queries.visible_item(page.session, "note", note_id, page.viewer_id)


def _here(note_id: str, target: str, comment: str | None) -> str:
    return url_with(f"/n/{note_id}/translations", to=target, comment=comment or None)


def _render(page: PageContext, note_id: str, item: queries.Item, target: Target, comment: str | None,
            status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Response:
    listed = queries.community_list(page.session, item, target, page.viewer_id)
    mine = next((t for t in listed if page.viewer is not None and t.author.id == ids.encode(page.viewer.id)), None)
    context: dict[str, Any] = {
        "note_id": note_id, "item": item, "target": target, "targets": TARGETS, "comment": comment,
        "translations": listed, "mine": mine, "here": _here(note_id, target, comment),
        "errors": errors or {},
        "values": values if values is not None else ({"title": mine.title or "", "body": mine.body} if mine else {}),
    }
    return page.render("pages/translations.html", status=status, **context)


@router.get("/n/{note_id}/translations", name="community_translations")
def translations_page(note_id: str, page: PageDep, to: str | None = None, comment: str | None = None) -> Response:
    parsed = path_id(note_id, "note")
    return _render(page, note_id, _item(page, parsed, comment), _target(page, to), comment)


@router.post("/n/{note_id}/translations", name="community_translation_submit")
def submit(note_id: str, page: PageDep, form: FormDep) -> Response:
    """A new translation, or the reader's own replaced; the comment budgets apply, as in the API."""
    parsed = path_id(note_id, "note")
    comment = form_text(form, "comment") or None
    target = _target(page, form_text(form, "to"))
    here = _here(note_id, target, comment)
    viewer = page.require_login(here)
    item = _item(page, parsed, comment)
    values = {"title": form_text(form, "title"), "body": form_text(form, "body")}
    trust.spend_comment(page.services, page.session, viewer.user, client_ip(page.request))
    try:
        data = validate(CommunityTranslationIn, page.locale, to=target, body=values["body"],
                        title=values["title"] or None if item.title is not None else None)
        catch(page.locale, lambda: actions.submit_community(
            page.session, page.services.clock.now(), viewer.id, item, data, checker=screening.checker(page.services)))
    except FormErrors as errors:
        page.session.rollback()
        return _render(page, note_id, item, target, comment, status=errors.status, errors=errors.errors, values=values)
    return page.redirect(here + "#mine")


@router.post("/translations/{translation_id}/vote", name="community_translation_vote")
def vote(translation_id: str, page: PageDep, form: FormDep) -> Response:
    parsed = path_id(translation_id, "translation")
    row, item = queries.community_row(page.session, parsed, page.viewer_id)
    here = _here(ids.encode(item.note_id), row.target, ids.encode(row.subject_id) if row.subject_kind == "comment" else None)
    viewer = page.require_login(here)
    raw = form_text(form, "value")
    try:
        data = validate(VoteIn, page.locale, value=int(raw) if raw.lstrip("-").isdigit() else raw)
    except FormErrors:
        raise AppError("vote.invalid", _("This value is not valid."), 422) from None
    actions.vote(page.session, page.services.clock.now(), viewer.id, parsed, data.value)
    return page.redirect(here + f"#t-{translation_id}")


@router.post("/translations/{translation_id}/delete", name="community_translation_delete")
def delete(translation_id: str, page: PageDep) -> Response:
    parsed = path_id(translation_id, "translation")
    row, item = queries.community_row(page.session, parsed, page.viewer_id)
    here = _here(ids.encode(item.note_id), row.target, ids.encode(row.subject_id) if row.subject_kind == "comment" else None)
    viewer = page.require_login(here)
    actions.delete_community(page.session, viewer.user, parsed)
    return page.redirect(here)
