"""Board elections: boards, mandates, elections, balance constraints, candidacies; paper ballots and tellers

Revision ID: 20261127_1530
Revises: 3160207da463
Create Date: 2026-11-27 15:03:07.465901

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20261127_1530'
down_revision = '3160207da463'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('term_years', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_boards_seats_positive')),
    sa.CheckConstraint('term_years >= 1', name=op.f('ck_boards_term_years_positive')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_boards_branch_id_branches'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards')),
    sa.UniqueConstraint('scope_key', name=op.f('uq_boards_scope_key'))
    )
    op.create_table('ballot_papers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('choice', sa.JSON(), nullable=True),
    sa.Column('choice_key', sa.String(length=1000), nullable=True),
    sa.CheckConstraint("(state = 'accepted') = (choice_key IS NOT NULL)", name=op.f('ck_ballot_papers_choice_iff_accepted')),
    sa.CheckConstraint("state IN ('pending', 'mismatch', 'accepted')", name=op.f('ck_ballot_papers_state_valid')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_ballot_papers_number_positive')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_papers_ballot_id_ballots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_papers')),
    sa.UniqueConstraint('ballot_id', 'number', name=op.f('uq_ballot_papers_ballot_id_number'))
    )
    op.create_table('ballot_tellers',
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ballot_tellers_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_tellers_ballot_id_ballots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'account_id', name=op.f('pk_ballot_tellers'))
    )
    op.create_table('elections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('descriptions', sa.JSON(), nullable=False),
    sa.Column('original_language', sa.String(length=8), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=12), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('is_secret', sa.Boolean(), nullable=False),
    sa.Column('eligible_statuses', sa.JSON(), nullable=False),
    sa.Column('register_cutoff', sa.Date(), nullable=True),
    sa.Column('min_membership_days', sa.Integer(), nullable=False),
    sa.Column('exclude_staff', sa.Boolean(), nullable=False),
    sa.Column('candidacy_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('candidacy_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('term_starts_on', sa.Date(), nullable=False),
    sa.Column('term_ends_on', sa.Date(), nullable=False),
    sa.Column('order_rule', sa.String(length=30), nullable=False),
    sa.Column('order_letter', sa.String(length=1), nullable=True),
    sa.Column('assembly_id', sa.Integer(), nullable=True),
    sa.Column('ballot_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('frozen_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(method = 'approval') = (max_choices IS NOT NULL)", name=op.f('ck_elections_max_choices_iff_approval')),
    sa.CheckConstraint("(state = 'cancelled') = (cancel_reason IS NOT NULL)", name=op.f('ck_elections_cancel_reason_iff_cancelled')),
    sa.CheckConstraint("(state = 'confirmed') = (confirmed_dt IS NOT NULL)", name=op.f('ck_elections_confirmed_dt_iff_confirmed')),
    sa.CheckConstraint("method <> 'irv' OR seats = 1", name=op.f('ck_elections_irv_one_seat')),
    sa.CheckConstraint("method IN ('stv', 'irv', 'approval')", name=op.f('ck_elections_method_valid')),
    sa.CheckConstraint("order_rule IN ('alphabetical_from_letter', 'random_per_voter')", name=op.f('ck_elections_order_rule_valid')),
    sa.CheckConstraint("original_language <> ''", name=op.f('ck_elections_original_language_not_empty')),
    sa.CheckConstraint("state IN ('draft', 'call_open', 'cancelled') OR ballot_id IS NOT NULL", name=op.f('ck_elections_ballot_once_frozen')),
    sa.CheckConstraint("state IN ('draft', 'call_open', 'list_frozen', 'voting', 'counted', 'confirmed', 'cancelled')", name=op.f('ck_elections_state_valid')),
    sa.CheckConstraint('candidacy_deadline > candidacy_opens_at', name=op.f('ck_elections_deadline_after_call')),
    sa.CheckConstraint('min_membership_days >= 0', name=op.f('ck_elections_min_membership_days_not_negative')),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_elections_seats_positive')),
    sa.CheckConstraint('term_ends_on > term_starts_on', name=op.f('ck_elections_term_ends_after_start')),
    sa.CheckConstraint('voting_closes_at > voting_opens_at', name=op.f('ck_elections_voting_closes_after_opens')),
    sa.CheckConstraint('voting_opens_at >= candidacy_deadline', name=op.f('ck_elections_voting_after_deadline')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assemblies.id'], name=op.f('fk_elections_assembly_id_assemblies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_elections_ballot_id_ballots'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_elections_board_id_boards'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['accounts.id'], name=op.f('fk_elections_confirmed_by_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_elections_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elections')),
    sa.UniqueConstraint('ballot_id', name=op.f('uq_elections_ballot_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elections_assembly_id'), ['assembly_id'], unique=False)
        batch_op.create_index('ix_elections_board_state', ['board_id', 'state'], unique=False)

    op.create_table('ballot_paper_entries',
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('teller_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.JSON(), nullable=False),
    sa.Column('choice_key', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['ballot_papers.id'], name=op.f('fk_ballot_paper_entries_paper_id_ballot_papers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['teller_id'], ['accounts.id'], name=op.f('fk_ballot_paper_entries_teller_id_accounts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('paper_id', 'teller_id', name=op.f('pk_ballot_paper_entries'))
    )
    op.create_table('board_mandates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(origin = 'election') = (election_id IS NOT NULL)", name=op.f('ck_board_mandates_election_iff_elected')),
    sa.CheckConstraint("end_reason IS NULL OR end_reason IN ('term_expiry', 'resignation', 'removal')", name=op.f('ck_board_mandates_end_reason_valid')),
    sa.CheckConstraint("origin IN ('election', 'cooption', 'appointment')", name=op.f('ck_board_mandates_origin_valid')),
    sa.CheckConstraint('(ended_on IS NULL) = (end_reason IS NULL)', name=op.f('ck_board_mandates_ended_with_reason')),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= starts_on', name=op.f('ck_board_mandates_ended_after_start')),
    sa.CheckConstraint('ends_on > starts_on', name=op.f('ck_board_mandates_ends_after_start')),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_mandates_board_id_boards'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_board_mandates_created_by_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_board_mandates_election_id_elections'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_board_mandates_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_mandates'))
    )
    with op.batch_alter_table('board_mandates', schema=None) as batch_op:
        batch_op.create_index('ix_board_mandates_board_ends_on', ['board_id', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_mandates_election_id'), ['election_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_mandates_member_id'), ['member_id'], unique=False)

    op.create_table('candidacies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('statements', sa.JSON(), nullable=False),
    sa.Column('profiles', sa.JSON(), nullable=False),
    sa.Column('original_language', sa.String(length=8), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=True),
    sa.Column('declares_employee', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('modified_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(state = 'withdrawn') = (withdrawn_dt IS NOT NULL)", name=op.f('ck_candidacies_withdrawn_dt_iff_withdrawn')),
    sa.CheckConstraint("gender IS NULL OR gender IN ('woman', 'man', 'nonbinary')", name=op.f('ck_candidacies_gender_valid')),
    sa.CheckConstraint("original_language <> ''", name=op.f('ck_candidacies_original_language_not_empty')),
    sa.CheckConstraint("state <> 'refused' OR review_reason IS NOT NULL", name=op.f('ck_candidacies_refusal_has_reason')),
    sa.CheckConstraint("state IN ('submitted', 'accepted', 'refused', 'withdrawn')", name=op.f('ck_candidacies_state_valid')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_candidacies_election_id_elections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_candidacies_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['option_id'], ['ballot_options.id'], name=op.f('fk_candidacies_option_id_ballot_options'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['accounts.id'], name=op.f('fk_candidacies_reviewed_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidacies')),
    sa.UniqueConstraint('election_id', 'member_id', name=op.f('uq_candidacies_election_id_member_id'))
    )
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidacies_election_id'), ['election_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidacies_member_id'), ['member_id'], unique=False)

    op.create_table('election_constraints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('group_key', sa.String(length=20), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=True),
    sa.Column('maximum', sa.Integer(), nullable=True),
    sa.CheckConstraint("category IN ('gender', 'branch')", name=op.f('ck_election_constraints_category_valid')),
    sa.CheckConstraint('maximum IS NULL OR maximum >= 0', name=op.f('ck_election_constraints_maximum_not_negative')),
    sa.CheckConstraint('minimum IS NOT NULL OR maximum IS NOT NULL', name=op.f('ck_election_constraints_some_bound')),
    sa.CheckConstraint('minimum IS NULL OR maximum IS NULL OR minimum <= maximum', name=op.f('ck_election_constraints_minimum_below_maximum')),
    sa.CheckConstraint('minimum IS NULL OR minimum >= 0', name=op.f('ck_election_constraints_minimum_not_negative')),
    sa.ForeignKeyConstraint(['election_id'], ['elections.id'], name=op.f('fk_election_constraints_election_id_elections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_election_constraints')),
    sa.UniqueConstraint('election_id', 'category', 'group_key', name=op.f('uq_election_constraints_election_id_category_group_key'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shuffle_options', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('count_constraints', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('count_constraints')
        batch_op.drop_column('shuffle_options')

    op.drop_table('election_constraints')
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidacies_member_id'))
        batch_op.drop_index(batch_op.f('ix_candidacies_election_id'))

    op.drop_table('candidacies')
    with op.batch_alter_table('board_mandates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_mandates_member_id'))
        batch_op.drop_index(batch_op.f('ix_board_mandates_election_id'))
        batch_op.drop_index('ix_board_mandates_board_ends_on')

    op.drop_table('board_mandates')
    op.drop_table('ballot_paper_entries')
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_index('ix_elections_board_state')
        batch_op.drop_index(batch_op.f('ix_elections_assembly_id'))

    op.drop_table('elections')
    op.drop_table('ballot_tellers')
    op.drop_table('ballot_papers')
    op.drop_table('boards')
