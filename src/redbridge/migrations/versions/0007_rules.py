"""moderation rules editor: administrators' terms and regexes

Revision ID: 0007
Revises: 0006

``moderation_rules`` (administrators' terms and regexes), ``moderation_rule_overrides`` (a shipped
rule disabled or given another action, by its id) and ``moderation_rules_version`` (one row, bumped
by every change, polled by every process).
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = redbridge.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('moderation_rules',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('pattern', sa.String(length=512), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('lang', sa.String(length=3), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('allow', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', _ID, nullable=True),
    sa.Column('updated_by', _ID, nullable=True),
    sa.Column('created_at', _TS, nullable=False),
    sa.Column('updated_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_moderation_rules_created_by_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_moderation_rules_updated_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_rules')),
    sa.UniqueConstraint('kind', 'pattern', name='uq_moderation_rules_kind_pattern'),
    )
    op.create_index('ix_moderation_rules_category', 'moderation_rules', ['category', 'id'], unique=False)
    op.create_table('moderation_rule_overrides',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('rule_id', sa.String(length=300), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('updated_by', _ID, nullable=True),
    sa.Column('updated_at', _TS, nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'],
                            name=op.f('fk_moderation_rule_overrides_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_rule_overrides')),
    sa.UniqueConstraint('rule_id', name='uq_moderation_rule_overrides_rule_id'),
    )
    op.create_table('moderation_rules_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', _TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_rules_version')),
    )


def downgrade() -> None:
    op.drop_table('moderation_rules_version')
    op.drop_table('moderation_rule_overrides')
    op.drop_index('ix_moderation_rules_category', table_name='moderation_rules')
    op.drop_table('moderation_rules')
