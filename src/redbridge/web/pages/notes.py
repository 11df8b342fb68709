"""The note page and its forms: like, collect (into a collection), comment, reply, delete a comment.

Every form is a plain POST that answers with a redirect back to the note (works without
JavaScript). With HTMX (``HX-Request``) the same POST answers with the fragment it changed —
``partials/note_actions.html`` or ``partials/comments.html`` — which replaces the old one in place.
A form the person can fix (an empty comment, a taken collection name) comes back with the message
next to the field and what they typed, status 422 / 409.
"""

from __future__ import annotations

from typing import Any, cast, get_args

from fastapi import APIRouter, Response
from starlette.datastructures import FormData

from redbridge.accounts import trust
from redbridge.accounts.queries import relation
from redbridge.core import ids
from redbridge.core.deps import client_ip
from redbridge.core.errors import AppError, not_found, path_id
from redbridge.core.i18n import gettext
from redbridge.core.pagination import Page
from redbridge.engagement import actions as engagement
from redbridge.engagement import queries as engagement_queries
from redbridge.engagement.schemas import CollectionCreate, CommentCreate, CommentOut
from redbridge.moderation import screening
from redbridge.notes import queries, views
from redbridge.reads import notes as read_notes
from redbridge.text.markup import extract_tags
from redbridge.translations import queries as translation_queries
from redbridge.translations.schemas import Target
from redbridge.translations.service import reader_answer
from redbridge.web.deps import FormDep, PageContext, PageDep, form_text, is_htmx
from redbridge.web.forms import FormErrors, catch, validate
from redbridge.web.pages import word_help
from redbridge.web.pages.common import url_with

router = APIRouter(include_in_schema=False)
COMMENTS_PAGE = 20
REPLIES_PAGE = 50
COLLECTIONS_SHOWN = 50
REFUSED_TEXT = frozenset({"moderation.rejected"})  # shown at the comment box, with what was typed
COMMENTS_FRAGMENT = "partials/comments.html"
# The comments of one page (``COMMENTS_PAGE`` and their reply previews) whose stored translation an
# "always translate" reader's page looks up: a bound on the store reads of one view.
AUTO_COMMENTS = 60


def note_context(page: PageContext, note_id: int, comments_cursor: str | None = None) -> dict[str, Any]:
    """Everything the note page (and its fragments) show: the note as the API returns it, a page
    of comments with reply previews, the viewer's collections and relation to the author."""
    viewer_id = page.viewer_id
    note, author = queries.get_visible(page.session, note_id, viewer_id)
    out = read_notes.note_out(page.session, note, viewer_id, page.services.settings.base_url, author=author)
    comments = engagement_queries.note_comments(page.session, note_id, viewer_id, comments_cursor, COMMENTS_PAGE)
    collections = []
    following = False
    if page.viewer is not None:
        collections = engagement_queries.user_collections(
            page.session, page.viewer.user, viewer_id, None, COLLECTIONS_SHOWN
        ).items
        following = relation(page.session, viewer_id, author.id)["followed_by_me"]
    body_tags = set(extract_tags(out.body))
    more_comments = None
    if comments.next_cursor is not None:
        more_comments = url_with(f"/n/{out.id}", comments=comments.next_cursor) + "#comments"
    return {
        "note": out,
        "comments": comments,
        "more_comments": more_comments,
        "collections": collections,
        "following_author": following,
        # Tags typed in the tag field rather than as #tags in the body: shown as chips below it.
        "extra_tags": [t for t in out.tags if t not in body_tags],
        "can_moderate": page.viewer is not None and (page.viewer.id == author.id or page.viewer.user.is_admin),
        "errors": {},
        "values": {},
        "tab": "",
        "word_help": word_help.context(page, note_id, out),
        # The page the translate links reload: also right in a fragment a form's POST answers.
        "note_path": f"/n/{out.id}",
    }


def _render_note(page: PageContext, note_id: int, status: int = 200, fragment: str | None = None,
                 **overrides: Any) -> Response:
    context = note_context(page, note_id)
    if fragment in (None, COMMENTS_FRAGMENT):  # what shows text: a fragment of buttons has none
        context.update(translations_context(page, note_id, context))
    context.update(overrides)
    if fragment is not None:
        return page.render(fragment, status=status, partial=True, **context)
    return page.render("pages/note.html", status=status, **context)


def _after(page: PageContext, note_id: int, fragment: str, anchor: str) -> Response:
    """The answer to a successful note form: the changed fragment for HTMX, else back to the note."""
    if is_htmx(page.request):
        return _render_note(page, note_id, fragment=fragment)
    return page.redirect(f"/n/{ids.encode(note_id)}#{anchor}")


def _refused(page: PageContext, note_id: int, fragment: str, errors: FormErrors, status: int,
             values: dict[str, str]) -> Response:
    return _render_note(page, note_id, status=status, fragment=fragment if is_htmx(page.request) else None,
                        errors=errors.errors, values=values)


def translation_context(page: PageContext, note_id: int, target: str | None,
                        comment: str | None) -> dict[str, Any] | None:
    """The translation the reader asked for with ``?translate=<target>`` (the note's, or with
    ``translate_comment`` one comment's), from the store only: the page never waits on an engine,
    it says "translating…" and offers a reload. None for anything that is not a target."""
    if target not in get_args(Target):
        return None
    if comment is not None:
        comment_id = ids.decode(comment)
        if comment_id is None:
            return None
        kind: translation_queries.Kind = "comment"
        item_id = comment_id
    else:
        kind, item_id = "note", note_id
    try:
        item = translation_queries.visible_item(page.session, kind, item_id, page.viewer_id)
        # Ends this session's transaction before the store is read (objects stay loaded).
        out = reader_answer(page.services, page.session, item, cast(Target, target), page.viewer_id,
                            client_ip(page.request))
    except AppError as error:
        if error.status != 429:
            return None
        return {"kind": kind, "id": ids.encode(item_id), "out": None, "error": gettext(error.message) % error.params}
    return {"kind": kind, "id": ids.encode(item_id), "out": out, "error": None}


def _shown_comments(comments: Page[CommentOut]) -> list[CommentOut]:
    """The comments a page shows (each top-level one, then its reply previews), at most
    ``AUTO_COMMENTS``."""
    shown = [c for top in comments.items for c in (top, *top.replies_preview)]
    return shown[:AUTO_COMMENTS]


def stored_comment_translations(page: PageContext, comments: list[CommentOut], target: str) -> dict[str, dict[str, Any]]:
    """The stored translations into ``target`` of those ``comments`` not in its language, keyed
    and shaped for the translate control ("comment:<id>"); read from the store only, never
    enqueued (see :func:`translations_context`). Ends the page session's transaction first: the
    store reads on its own session."""
    page.session.commit()
    found: dict[str, dict[str, Any]] = {}
    for comment in comments:
        comment_id = ids.decode(comment.id)
        if comment_id is None or not translation_queries.needs_translation(comment.lang, target):
            continue
        out = translation_queries.answer(page.services, translation_queries.comment_item(comment_id, comment.body),
                                         cast(Target, target))
        if out is not None and out.status in translation_queries.READABLE:
            found[f"comment:{comment.id}"] = {"kind": "comment", "id": comment.id, "out": out, "error": None,
                                             "first": True}
    return found


def translations_context(page: PageContext, note_id: int, context: dict[str, Any], translate: str | None = None,
                         translate_comment: str | None = None) -> dict[str, Any]:
    """``translations`` ({"kind:id": answer}) and ``auto_translate`` for the note page's templates.

    The reader asks for one translation with ``?translate=<target>``. A logged-in reader with
    "always translate" on (``users.always_translate``) gets, unless ``?translate=off``, the note
    as if they had asked (the job enqueued under the same limits, "translating…" while it runs),
    and each comment of the page whose translation is already stored; a readable answer is shown
    *first* (``first``), the original one tap away. Comments are read from the store only, never
    enqueued: one page of comments would otherwise spend a third of the reader's hourly
    allowance (``translation.per_user``) on one view; their "Translate" link stays.

    Nothing here is cached: the page is rendered per request (``Cache-Control: private,
    no-cache``), and the setting comes from the account row the page loads anyway. The note page
    cache (``reads.note_page``) holds the API's ``NoteOut`` only, which has no translation in it."""
    note = context["note"]
    found: dict[str, dict[str, Any]] = {}
    asked = translation_context(page, note_id, translate, translate_comment)
    viewer = page.viewer
    auto = translate != "off" and viewer is not None and bool(viewer.user.always_translate)
    if auto:
        target = translation_queries.reader_target(page.locale)
        if (asked is None or asked["kind"] != "note") and translation_queries.needs_translation(note.lang, target):
            note_answer = translation_context(page, note_id, target, None)
            # Over the limit: the original, quietly (the reader did not ask for this one).
            if note_answer is not None and note_answer["error"] is None:
                found[f"note:{note.id}"] = note_answer
        found.update(stored_comment_translations(page, _shown_comments(context["comments"]), target))
    if asked is not None:
        found[f"{asked['kind']}:{asked['id']}"] = asked
    for answer in found.values():
        answer["first"] = auto and answer["out"] is not None and answer["out"].status in translation_queries.READABLE
    return {"translations": found, "auto_translate": auto}


@router.get("/n/{note_id}", name="note")
def note_page(note_id: str, page: PageDep, comments: str | None = None, translate: str | None = None,
              translate_comment: str | None = None) -> Response:
    nid = path_id(note_id, "note")
    context = note_context(page, nid, comments)
    context.update(translations_context(page, nid, context, translate, translate_comment))
    if page.viewer_id is not None:  # found: the note is one this reader may see
        views.record(page.services, page.viewer_id, nid)
    return page.render("pages/note.html", **context)


@router.post("/n/{note_id}/like", name="note_like")
def like(note_id: str, page: PageDep, form: FormDep) -> Response:
    """``on=1`` likes, ``on=0`` unlikes (idempotent, like the API's POST / DELETE)."""
    parsed = path_id(note_id, "note")
    viewer = page.require_login(f"/n/{note_id}")
    engagement.set_note_like(page.session, viewer.id, parsed, page.services.clock.now(),
                             form_text(form, "on") != "0")
    return _after(page, parsed, "partials/note_actions.html", "actions")


def _collection_choice(page: PageContext, form: FormData) -> int | None:
    """The collection to file the collect in: a new one named in ``new_collection`` (created
    first), one of the viewer's by ``collection_id``, or none."""
    viewer = page.viewer
    assert viewer is not None
    name = form_text(form, "new_collection").strip()
    if name:
        data = validate(CollectionCreate, page.locale, name=name)
        collection = catch(page.locale, lambda: engagement.create_collection(
            page.session, viewer.id, data, page.services.clock.now()))
        return collection.id
    raw = form_text(form, "collection_id")
    if not raw:
        return None
    return path_id(raw, "collection")


@router.post("/n/{note_id}/collect", name="note_collect")
def collect(note_id: str, page: PageDep, form: FormDep) -> Response:
    """``on=0`` removes the collect; otherwise collect (or move) into the chosen collection."""
    parsed = path_id(note_id, "note")
    viewer = page.require_login(f"/n/{note_id}")
    if form_text(form, "on") == "0":
        engagement.uncollect(page.session, viewer.id, parsed)
    else:
        try:
            collection_id = _collection_choice(page, form)
        except FormErrors as errors:
            return _refused(page, parsed, "partials/note_actions.html", errors, 422,
                            {"new_collection": form_text(form, "new_collection")})
        engagement.collect(page.session, viewer.id, parsed, collection_id, page.services.clock.now())
    return _after(page, parsed, "partials/note_actions.html", "actions")


@router.post("/n/{note_id}/comments", name="note_comment")
def comment(note_id: str, page: PageDep, form: FormDep) -> Response:
    """A comment, or a reply when ``parent_id`` is set; same rate limits as the API."""
    parsed = path_id(note_id, "note")
    viewer = page.require_login(f"/n/{note_id}")
    body, parent = form_text(form, "body"), form_text(form, "parent_id")
    field = f"reply:{parent}" if parent else "body"
    try:
        data = validate(CommentCreate, page.locale, body=body, parent_id=parent or None)
    except FormErrors as errors:
        if "parent_id" in errors.errors:
            raise not_found("comment") from None
        return _refused(page, parsed, COMMENTS_FRAGMENT, FormErrors({field: errors.errors["body"]}), 422,
                        {field: body})
    trust.spend_comment(page.services, page.session, viewer.user, client_ip(page.request))
    try:
        created = engagement.create_comment(page.session, viewer.id, parsed, data.body,
                                            ids.decode(data.parent_id) if data.parent_id else None,
                                            page.services.clock.now(), checker=screening.checker(page.services))
    except AppError as exc:
        if exc.code not in REFUSED_TEXT:
            raise
        return _refused(page, parsed, COMMENTS_FRAGMENT,
                        FormErrors({field: gettext(exc.message, page.locale, **exc.params)}), 422, {field: body})
    return _after(page, parsed, COMMENTS_FRAGMENT, f"c-{ids.encode(created.id)}")


@router.post("/n/{note_id}/comments/{comment_id}/delete", name="comment_delete")
def delete_comment(note_id: str, comment_id: str, page: PageDep) -> Response:
    """Delete a comment: its author, the note's author or an admin (the action decides)."""
    parsed = path_id(note_id, "note")
    viewer = page.require_login(f"/n/{note_id}")
    engagement.delete_comment(page.session, viewer.user, path_id(comment_id, "comment"))
    return _after(page, parsed, COMMENTS_FRAGMENT, "comments")


@router.get("/n/{note_id}/c/{comment_id}", name="comment_thread")
def thread(note_id: str, comment_id: str, page: PageDep, cursor: str | None = None,
           translate: str | None = None, translate_comment: str | None = None) -> Response:
    """All replies of one comment (the note page shows the first two), oldest first."""
    parsed = path_id(note_id, "note")
    note, _author = queries.get_visible(page.session, parsed, page.viewer_id)
    replies = engagement_queries.comment_replies(page.session, path_id(comment_id, "comment"), page.viewer_id,
                                                 cursor, REPLIES_PAGE)
    if any(reply.note_id != note_id for reply in replies.items):
        raise not_found("comment")
    more = url_with(f"/n/{note_id}/c/{comment_id}", cursor=replies.next_cursor) if replies.next_cursor else None
    viewer = page.viewer
    # "Always translate" (see translations_context): each reply with a stored translation shows it
    # first; ``?translate=off`` shows the originals.
    auto = translate != "off" and viewer is not None and bool(viewer.user.always_translate)
    found = stored_comment_translations(page, replies.items[:AUTO_COMMENTS],
                                        translation_queries.reader_target(page.locale)) if auto else {}
    # A reply's no-JS "Translate" link comes back here with ?translate=<target>&translate_comment=<id>.
    asked = translation_context(page, parsed, translate, translate_comment) if translate_comment else None
    if asked is not None:
        asked["first"] = auto and asked["out"] is not None and asked["out"].status in translation_queries.READABLE
        found[f"comment:{asked['id']}"] = asked
    return page.render("pages/thread.html", note_id=note_id, note_title=note.title, note_lang=note.lang,
                       comment_id=comment_id, replies=replies, more_replies=more, tab="", translations=found,
                       auto_translate=auto)
