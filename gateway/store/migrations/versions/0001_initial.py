"""initial store: lineage, queue, quarantine, events

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counters',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('correlation_id', sa.String(length=40), nullable=True),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_correlation_id'), ['correlation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_receipt_id'), ['receipt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('payloads',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.String(length=64), nullable=True),
    sa.Column('correlation_id', sa.String(length=40), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('issues', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_correlation_id'), ['correlation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_receipt_id'), ['receipt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_state'), ['state'], unique=False)

    op.create_table('work',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('available_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'ref_id', name='uq_work_kind_ref')
    )
    with op.batch_alter_table('work', schema=None) as batch_op:
        batch_op.create_index('ix_work_ready', ['kind', 'available_at', 'id'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('correlation_id', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('partner_id', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('offer_key', sa.String(length=200), nullable=False),
    sa.Column('meta', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('duplicate_of', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['payloads.sha256'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('correlation_id'),
    sa.UniqueConstraint('offer_key')
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_sha256'), ['sha256'], unique=False)

    op.create_table('acks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.String(length=64), nullable=True),
    sa.Column('kinds', sa.String(length=20), nullable=False),
    sa.Column('control_number', sa.String(length=9), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('acks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acks_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('interchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=40), nullable=False),
    sa.Column('receiver', sa.String(length=40), nullable=False),
    sa.Column('control_number', sa.String(length=9), nullable=False),
    sa.Column('dedupe_key', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('interchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interchanges_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interchange_id', sa.Integer(), nullable=False),
    sa.Column('functional_id', sa.String(length=2), nullable=False),
    sa.Column('control_number', sa.String(length=9), nullable=False),
    sa.Column('version', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['interchange_id'], ['interchanges.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_interchange_id'), ['interchange_id'], unique=False)

    op.create_table('transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('correlation_id', sa.String(length=40), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('interchange_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.String(length=64), nullable=True),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.String(length=6), nullable=False),
    sa.Column('control_number', sa.String(length=9), nullable=True),
    sa.Column('version', sa.String(length=12), nullable=True),
    sa.Column('document_type', sa.String(length=40), nullable=True),
    sa.Column('business_key', sa.String(length=80), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ),
    sa.ForeignKeyConstraint(['interchange_id'], ['interchanges.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('correlation_id')
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transactions_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_interchange_id'), ['interchange_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_receipt_id'), ['receipt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transactions_state'), ['state'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('document_type', sa.String(length=40), nullable=False),
    sa.Column('spec', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('po_number', sa.String(length=80), nullable=True),
    sa.Column('asn_id', sa.String(length=80), nullable=True),
    sa.Column('invoice_number', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_asn_id'), ['asn_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_invoice_number'), ['invoice_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_po_number'), ['po_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_transaction_id'), ['transaction_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.String(length=64), nullable=True),
    sa.Column('route', sa.Integer(), nullable=False),
    sa.Column('connector', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('target', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['transaction_id'], ['transactions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_transaction_id'), ['transaction_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_state'))
        batch_op.drop_index(batch_op.f('ix_deliveries_document_id'))

    op.drop_table('deliveries')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_documents_po_number'))
        batch_op.drop_index(batch_op.f('ix_documents_invoice_number'))
        batch_op.drop_index(batch_op.f('ix_documents_asn_id'))

    op.drop_table('documents')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transactions_state'))
        batch_op.drop_index(batch_op.f('ix_transactions_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_transactions_partner_id'))
        batch_op.drop_index(batch_op.f('ix_transactions_interchange_id'))
        batch_op.drop_index(batch_op.f('ix_transactions_business_key'))

    op.drop_table('transactions')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_interchange_id'))

    op.drop_table('groups')
    with op.batch_alter_table('interchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interchanges_receipt_id'))

    op.drop_table('interchanges')
    with op.batch_alter_table('acks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acks_receipt_id'))

    op.drop_table('acks')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_sha256'))
        batch_op.drop_index(batch_op.f('ix_receipts_partner_id'))
        batch_op.drop_index(batch_op.f('ix_receipts_name'))

    op.drop_table('receipts')
    with op.batch_alter_table('work', schema=None) as batch_op:
        batch_op.drop_index('ix_work_ready')

    op.drop_table('work')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_state'))
        batch_op.drop_index(batch_op.f('ix_quarantine_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_quarantine_correlation_id'))

    op.drop_table('quarantine')
    op.drop_table('payloads')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_events_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_events_correlation_id'))

    op.drop_table('events')
    op.drop_table('counters')
