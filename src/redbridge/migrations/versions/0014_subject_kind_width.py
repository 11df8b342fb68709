"""subject kinds of 20 characters: ``translation`` (a community translation) is 11

Revision ID: 0014
Revises: 0013

The moderation tables name their subject's kind in a ``VARCHAR(10)`` (note, comment, user,
profile); a readers' translation is moderated as ``translation``. PostgreSQL enforces the length,
SQLite does not (and rebuilding these tables there would cascade into the rows that reference
them), so the columns are widened on PostgreSQL only.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# In an order that deletes rows before the rows they reference (appeals and reports name queue items).
_TABLES = ('safety_appeals', 'safety_reports', 'safety_audit', 'spam_fingerprints', 'moderation_decisions',
           'moderation_queue')


def _widen(length: int) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in _TABLES:
        op.alter_column(table, 'subject_kind', type_=sa.String(length=length),
                        existing_type=sa.String(), existing_nullable=False)


def upgrade() -> None:
    _widen(20)


def downgrade() -> None:
    # Rows about translations would not fit back: they go, with the feature that made them (0013).
    if op.get_bind().dialect.name == 'postgresql':
        for table in _TABLES:
            op.execute(f"DELETE FROM {table} WHERE length(subject_kind) > 10")  # noqa: S608 - table names are ours
    _widen(10)
