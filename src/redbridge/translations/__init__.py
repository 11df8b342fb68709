"""Translation in the product (issue 9): a reader translates a note or comment.

The engine layer is ``redbridge.translation``; this feature wires it from settings
(:mod:`~redbridge.translations.wiring`), stores what engines produce in the ``translations`` table
behind the shared cache (:mod:`~redbridge.translations.store`), runs engines in jobs only
(:mod:`~redbridge.translations.tasks`) and answers the API from the store
(:mod:`~redbridge.translations.queries`, :mod:`~redbridge.translations.routes`).
docs/translation.md "In the product" describes it.
"""
