"""account actions: warn, mute, suspend, ban

Revision ID: 0008
Revises: 0007

``account_actions`` (a moderator's warn / mute / suspend / ban of an account, with lifting), the
standing in force on ``users`` (``muted_until``, ``suspended_until``), and ``notifications.details``
(what a moderation notice says).
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('account_actions',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('moderator_id', _ID, nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('until', _TS, nullable=True),
    sa.Column('queue_item_id', _ID, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('lifted_at', _TS, nullable=True),
    sa.Column('lifted_by', _ID, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_actions_user_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderator_id'], ['users.id'], name=op.f('fk_account_actions_moderator_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['queue_item_id'], ['moderation_queue.id'],
                            name=op.f('fk_account_actions_queue_item_id_moderation_queue'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lifted_by'], ['users.id'], name=op.f('fk_account_actions_lifted_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_actions')),
    )
    op.create_index('ix_account_actions_user', 'account_actions', ['user_id', 'id'], unique=False)
    op.add_column('users', sa.Column('muted_until', _TS, nullable=True))
    op.add_column('users', sa.Column('suspended_until', _TS, nullable=True))
    op.add_column('notifications', sa.Column('details', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('notifications', 'details')
    op.drop_column('users', 'suspended_until')
    op.drop_column('users', 'muted_until')
    op.drop_index('ix_account_actions_user', table_name='account_actions')
    op.drop_table('account_actions')
