"""People and the audit trail: account links (invitations, resets), deactivation, mail settings

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-17 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind in ('invitation', 'reset')", name=op.f('ck_account_link_kind_known')),
    sa.CheckConstraint("role in ('facilitator', 'admin')", name=op.f('ck_account_link_role_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_account_link_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_account_link_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_account_link_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_link_token_hash'))
    )
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_link_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_link_user_id'), ['user_id'], unique=False)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=254), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_entry_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_audit_entry_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index('ix_audit_entry_organisation_at', ['organisation_id', 'at'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('mail_port', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mail_username', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('mail_password_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('mail_from', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('mail_tls', sa.String(length=10), server_default='starttls', nullable=False))
        batch_op.add_column(sa.Column('audit_retention_days', sa.Integer(), server_default='730', nullable=False))
        batch_op.create_check_constraint(op.f('ck_organisation_mail_tls_known'), "mail_tls in ('starttls', 'ssl', 'none')")
        batch_op.create_check_constraint(op.f('ck_organisation_audit_retention_positive'), "audit_retention_days >= 1")

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('deactivated_at')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisation_audit_retention_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_organisation_mail_tls_known'), type_='check')
        batch_op.drop_column('audit_retention_days')
        batch_op.drop_column('mail_tls')
        batch_op.drop_column('mail_from')
        batch_op.drop_column('mail_password_sealed')
        batch_op.drop_column('mail_username')
        batch_op.drop_column('mail_port')
        batch_op.drop_column('mail_host')

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_organisation_at')
        batch_op.drop_index(batch_op.f('ix_audit_entry_cohort_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))

    op.drop_table('audit_entry')
    with op.batch_alter_table('account_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_link_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_link_organisation_id'))

    op.drop_table('account_link')
