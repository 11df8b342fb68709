"""an index on lower(place_name): search's place filter finds a place by its name, in any case

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_notes_place_name_lower', 'notes', [sa.text('lower(place_name)')])


def downgrade() -> None:
    op.drop_index('ix_notes_place_name_lower', table_name='notes')
