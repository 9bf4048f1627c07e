"""A workgroup's support threshold for the proposals written under it

Revision ID: 3f1c2a9b7d10
Revises: 6bcad2771638
Create Date: 2026-11-27 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f1c2a9b7d10'
down_revision = '6bcad2771638'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workgroups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support_threshold', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_workgroups_support_threshold_positive'), 'support_threshold IS NULL OR support_threshold >= 1')


def downgrade():
    with op.batch_alter_table('workgroups', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_workgroups_support_threshold_positive'), type_='check')
        batch_op.drop_column('support_threshold')
