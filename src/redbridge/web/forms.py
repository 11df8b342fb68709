"""Form validation for pages: the API's pydantic schemas and ``AppError`` s, turned into messages
shown next to the field (in the reader's language), so a form says exactly what the API would."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from redbridge.core.errors import FIELD_MESSAGES, AppError
from redbridge.core.i18n import _, gettext

M = TypeVar("M", bound=BaseModel)
FORM = "form"  # the key of an error that belongs to no single field (shown above the form)


class FormErrors(Exception):  # noqa: N818 - carries the messages; not an error condition of the app
    """Field name → translated message; raised by :func:`validate` and :func:`catch`. ``status``
    is the page's answer: 422 for invalid fields, a refusal's own status (401, 409, 422)."""

    def __init__(self, errors: dict[str, str], status: int = 422) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


def validate(model: type[M], locale: str, **values: object) -> M:
    """``model(**values)``, or :class:`FormErrors` with one message per failing field."""
    try:
        return model(**values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = err.get("loc", ())
            name = str(loc[0]) if loc else FORM
            message = FIELD_MESSAGES.get(str(err.get("type", "")), _("This value is not valid."))
            errors.setdefault(name, gettext(message, locale))
        raise FormErrors(errors) from None


def app_error_fields(exc: AppError, locale: str) -> dict[str, str]:
    """An action's refusal as form errors: at its field when it names one, else above the form."""
    message = gettext(exc.message, locale, **exc.params)
    # ``reasons`` (a moderation refusal's codes) names no field: such a refusal shows above the form.
    names = [name for name in exc.fields if name != "reasons"] or [FORM]
    return dict.fromkeys(names, message)


R = TypeVar("R")

# Refusals a person can fix by editing the form. Anything else (403, 404, 429, ...) is a page error.
FIXABLE = frozenset({401, 409, 422})


def refusal(exc: AppError, locale: str) -> FormErrors:
    """A fixable ``AppError`` as :class:`FormErrors` with its status; anything else is re-raised
    (the error page)."""
    if exc.status not in FIXABLE:
        raise exc
    return FormErrors(app_error_fields(exc, locale), exc.status)


def catch(locale: str, work: Callable[[], R]) -> R:
    """Run ``work``; a fixable ``AppError`` becomes :class:`FormErrors` (with its status)."""
    try:
        return work()
    except AppError as exc:
        raise refusal(exc, locale) from None
