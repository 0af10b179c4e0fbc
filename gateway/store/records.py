"""What the pipeline's stages hand to the store, and what the store hands back."""

from __future__ import annotations

from dataclasses import dataclass, field

# -- what stages hand to the store ----------------------------------------------------------------


@dataclass(slots=True)
class Problem:
    """Why something is quarantined."""

    stage: str
    code: str
    reason: str
    issues: list[dict] = field(default_factory=list)


@dataclass(slots=True)
class TransactionRecord:
    ordinal: int
    set_id: str
    control_number: str | None
    version: str | None
    correlation_id: str
    problem: Problem | None = None  # set: quarantined at the envelope stage (rejected by validation)
    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (po_number|asn_id|invoice_number, element, value), for trace


@dataclass(slots=True)
class GroupRecord:
    functional_id: str
    control_number: str
    version: str
    state: str
    transactions: list[TransactionRecord] = field(default_factory=list)


@dataclass(slots=True)
class InterchangeRecord:
    sender: str
    receiver: str
    control_number: str
    state: str  # accepted, partial, rejected
    dedupe_key: str | None
    groups: list[GroupRecord] = field(default_factory=list)


@dataclass(slots=True)
class AckRecord:
    kinds: str
    control_number: str
    path: str
    body: str
    verdicts: list[dict] = field(default_factory=list)  # TA104 per interchange, AK9 per group, AK5/IK5 per set, as sent


@dataclass(slots=True)
class EnvelopeRecord:
    """The envelope stage's outcome for one receipt."""

    partner_id: str | None
    interchanges: list[InterchangeRecord] = field(default_factory=list)
    documents: list[TransactionRecord] = field(default_factory=list)  # flat-file documents (no envelope)
    acks: list[AckRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RouteRecord:
    route: int
    connector: str
    idempotency_key: str


@dataclass(slots=True)
class MappedRecord:
    """The mapping stage's outcome for one transaction: a document with its routes, or a problem."""

    transaction_id: int
    correlation_id: str
    document_type: str | None = None
    spec: str | None = None
    body: str | None = None
    keys: dict[str, str | None] = field(default_factory=dict)  # po_number, asn_id, invoice_number
    business_key: str | None = None
    routes: list[RouteRecord] = field(default_factory=list)
    problem: Problem | None = None


@dataclass(slots=True)
class DeliveryOutcome:
    work_id: int
    delivery_id: int
    state: str  # delivered, retry, quarantined
    target: str | None = None
    error: str | None = None
    delay: float = 0.0
    code: str = "delivery.failed"


# -- what the store hands back --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    id: int
    correlation_id: str
    state: str
    new: bool  # False: the same offer was stored before (the channel may acknowledge it again)
    duplicate_of: int | None = None


@dataclass(frozen=True, slots=True)
class Work:
    id: int
    kind: str
    ref_id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    id: int
    correlation_id: str
    channel: str
    partner_id: str | None
    name: str
    sha256: str
    state: str


@dataclass(frozen=True, slots=True)
class PendingTransaction:
    id: int
    correlation_id: str
    receipt_id: int
    partner_id: str | None
    ordinal: int
    set_id: str
    control_number: str | None


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    work_id: int
    id: int
    transaction_id: int
    partner_id: str | None
    route: int
    connector: str
    idempotency_key: str
    attempts: int
    correlation_id: str
    business_key: str | None
    document_type: str
    body: str


@dataclass(frozen=True, slots=True)
class PendingAck:
    work_id: int
    id: int
    path: str
    body: str
    correlation_id: str  # the receipt's
    partner_id: str | None
