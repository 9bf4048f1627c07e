"""Indexes for counting: the ballot box by ballot, branch and choice, the roll by ballot and branch

Revision ID: 20261127_1630
Revises: 20261127_1530
Create Date: 2026-11-27 16:30:00

"""
from alembic import op

revision = '20261127_1630'
down_revision = '20261127_1530'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ballot_box', schema=None) as batch_op:
        batch_op.create_index('ix_ballot_box_ballot_branch_choice', ['ballot_id', 'branch_id', 'choice_key'],
                              unique=False)
    with op.batch_alter_table('ballot_roll_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ballot_roll_entries_ballot_branch', ['ballot_id', 'branch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ballot_roll_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ballot_roll_entries_ballot_branch')
    with op.batch_alter_table('ballot_box', schema=None) as batch_op:
        batch_op.drop_index('ix_ballot_box_ballot_branch_choice')
