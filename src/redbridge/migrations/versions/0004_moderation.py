"""moderation phase 1: roles, content states and labels, stored decisions

Revision ID: 0004
Revises: 0003

``users.is_admin`` becomes ``users.role`` (user | moderator | admin; admins stay admins).
``notes.status`` / ``comments.status`` (published | held | removed; existing rows published) and
``notes.label``; the ``moderation_decisions`` table.

The columns are added and dropped with plain ``ALTER TABLE`` (SQLite 3.35+ drops a column in
place), never by batch-recreating a table: on SQLite the migration runs with foreign keys on, and
dropping ``users`` to rebuild it would cascade into every table that references it.
"""
from alembic import op
import sqlalchemy as sa
import redbridge.core.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('users', sa.Column('role', sa.String(length=10), server_default='user', nullable=False))
    op.execute("UPDATE users SET role = 'admin' WHERE is_admin")
    op.drop_column('users', 'is_admin')

    op.add_column('notes', sa.Column('status', sa.String(length=10), server_default='published', nullable=False))
    op.add_column('notes', sa.Column('label', sa.String(length=20), nullable=True))
    op.create_index('ix_notes_status', 'notes', ['status', 'id'], unique=False)
    op.add_column('comments', sa.Column('status', sa.String(length=10), server_default='published', nullable=False))
    op.create_index('ix_comments_status', 'comments', ['status', 'id'], unique=False)

    op.create_table('moderation_decisions',
    sa.Column('id', _ID, autoincrement=False, nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('author_id', _ID, nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('moderator_id', _ID, nullable=True),
    sa.Column('created_at', redbridge.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_moderation_decisions_author_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderator_id'], ['users.id'], name=op.f('fk_moderation_decisions_moderator_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_decisions')),
    )
    op.create_index('ix_moderation_decisions_subject', 'moderation_decisions', ['subject_kind', 'subject_id', 'id'],
                    unique=False)
    op.create_index('ix_moderation_decisions_author', 'moderation_decisions', ['author_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_moderation_decisions_author', table_name='moderation_decisions')
    op.drop_index('ix_moderation_decisions_subject', table_name='moderation_decisions')
    op.drop_table('moderation_decisions')

    op.drop_index('ix_comments_status', table_name='comments')
    op.drop_column('comments', 'status')
    op.drop_index('ix_notes_status', table_name='notes')
    op.drop_column('notes', 'label')
    op.drop_column('notes', 'status')

    op.add_column('users', sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE users SET is_admin = (role = 'admin')")
    op.drop_column('users', 'role')
