"""moderation phase 2a: the review queue, reports, the audit log

Revision ID: 0005
Revises: 0004

``moderation_queue`` (one open item per subject: a partial unique index on both engines),
``safety_reports`` (one per reporter and item) and ``safety_audit``. Notes and comments held before
this revision get no queue item here; ``redbridge`` phase 1 had no deployments with held content to
carry over, and a held note edited or reported later opens one.
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('moderation_queue',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('author_id', _ID, nullable=False),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('categories', sa.String(length=200), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('closed_at', _TS, nullable=True),
    sa.Column('closed_by', _ID, nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_moderation_queue_author_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_moderation_queue_closed_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_queue')),
    )
    op.create_index('ix_moderation_queue_state', 'moderation_queue', ['state', 'id'], unique=False)
    op.create_index(op.f('ix_moderation_queue_author_id'), 'moderation_queue', ['author_id'], unique=False)
    op.create_index('uq_moderation_queue_open_subject', 'moderation_queue', ['subject_kind', 'subject_id'],
                    unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))

    op.create_table('safety_reports',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('queue_item_id', _ID, nullable=False),
    sa.Column('reporter_id', _ID, nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('resolved_at', _TS, nullable=True),
    sa.ForeignKeyConstraint(['queue_item_id'], ['moderation_queue.id'],
                            name=op.f('fk_safety_reports_queue_item_id_moderation_queue'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_safety_reports_reporter_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_reports')),
    sa.UniqueConstraint('queue_item_id', 'reporter_id', name='uq_safety_reports_item_reporter'),
    )
    op.create_index('ix_safety_reports_reporter', 'safety_reports', ['reporter_id', 'id'], unique=False)

    op.create_table('safety_audit',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('actor_id', _ID, nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_safety_audit_actor_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_audit')),
    )
    op.create_index('ix_safety_audit_actor', 'safety_audit', ['actor_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_safety_audit_actor', table_name='safety_audit')
    op.drop_table('safety_audit')
    op.drop_index('ix_safety_reports_reporter', table_name='safety_reports')
    op.drop_table('safety_reports')
    op.drop_index('uq_moderation_queue_open_subject', table_name='moderation_queue')
    op.drop_index(op.f('ix_moderation_queue_author_id'), table_name='moderation_queue')
    op.drop_index('ix_moderation_queue_state', table_name='moderation_queue')
    op.drop_table('moderation_queue')
