"""moderation phase 2b: appeals

Revision ID: 0006
Revises: 0005

``safety_appeals``: an author's appeal of a moderator's removal, one per decision.
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('safety_appeals',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('decision_id', _ID, nullable=False),
    sa.Column('queue_item_id', _ID, nullable=False),
    sa.Column('author_id', _ID, nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('removed_by', _ID, nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('decided_by', _ID, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('decided_at', _TS, nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['moderation_decisions.id'],
                            name=op.f('fk_safety_appeals_decision_id_moderation_decisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_item_id'], ['moderation_queue.id'],
                            name=op.f('fk_safety_appeals_queue_item_id_moderation_queue'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_safety_appeals_author_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['removed_by'], ['users.id'], name=op.f('fk_safety_appeals_removed_by_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_safety_appeals_decided_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_appeals')),
    sa.UniqueConstraint('decision_id', name='uq_safety_appeals_decision'),
    )
    op.create_index('ix_safety_appeals_state', 'safety_appeals', ['state', 'id'], unique=False)
    op.create_index('ix_safety_appeals_author', 'safety_appeals', ['author_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_safety_appeals_author', table_name='safety_appeals')
    op.drop_index('ix_safety_appeals_state', table_name='safety_appeals')
    op.drop_table('safety_appeals')
