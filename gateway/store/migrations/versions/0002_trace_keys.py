"""trace: keys read from raw sets, ack verdicts, quarantine items that follow a reprocess

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transaction_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('element', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transaction_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_keys_transaction_id'), ['transaction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transaction_keys_value'), ['value'], unique=False)
    with op.batch_alter_table('acks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verdicts', sa.Text(), nullable=True))
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_quarantine_previous_id'), ['previous_id'], unique=False)
        batch_op.create_index('ix_quarantine_ref', ['kind', 'ref_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_ref')
        batch_op.drop_index(batch_op.f('ix_quarantine_previous_id'))
        batch_op.drop_column('previous_id')
    with op.batch_alter_table('acks', schema=None) as batch_op:
        batch_op.drop_column('verdicts')
    with op.batch_alter_table('transaction_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transaction_keys_value'))
        batch_op.drop_index(batch_op.f('ix_transaction_keys_transaction_id'))
    op.drop_table('transaction_keys')
