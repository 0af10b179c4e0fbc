"""Canonical business documents: what ERP connectors receive, whatever the partner sent.

These dataclasses are the single definition; the published JSON Schemas in
``canonical/*.schema.json`` are generated from them (``python -m
gateway.canonical.schemas --write``) and a test fails when the two drift.
Canonical documents travel as JSON: amounts and quantities are decimal
strings (no binary floating point), dates ISO 8601 (``YYYY-MM-DD``), times
``HH:MM[:SS]``. Codes are canonical enums, not X12 qualifiers; the X12 value is
kept where it matters (``Identifier.qualifier``) for traceability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from ..config.typed import Doc, Format, Model, Pattern

SCHEMA_VERSION = "1.0"
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"

Decimal = Annotated[str, Pattern(DECIMAL), Doc("a decimal number as text, e.g. \"12.50\"")]
Date = Annotated[str, Format("date"), Doc("ISO date, YYYY-MM-DD")]
Time = Annotated[str, Pattern(TIME), Doc("time of day, HH:MM or HH:MM:SS")]

IdentifierType = Literal[
    "gtin", "upc", "ean", "isbn", "vendor_part", "buyer_part", "manufacturer_part", "sku", "style", "color", "size",
    "serial", "lot", "ndc", "other",
]
PartyRole = Literal[
    "buyer", "seller", "ship_to", "ship_from", "bill_to", "remit_to", "supplier", "manufacturer", "store",
    "distribution_center", "mark_for", "carrier", "other",
]
PartyIdType = Literal["duns", "duns4", "gln", "buyer_assigned", "seller_assigned", "store_number", "mutually_defined", "other"]


@dataclass(repr=False)
class Identifier(Model):
    """An identifier of an item: its type in canonical terms and, when from X12, the original qualifier."""

    type: IdentifierType
    value: str
    qualifier: Annotated[str | None, Doc("the partner's code for the type (X12 product ID qualifier)")] = None


@dataclass(repr=False)
class Quantity(Model):
    value: Decimal
    unit: Annotated[str, Doc("unit of measure code (X12 355 vocabulary, e.g. EA, CA, LB)")] = "EA"


@dataclass(repr=False)
class Money(Model):
    amount: Decimal
    currency: Annotated[str | None, Pattern("^[A-Z]{3}$"), Doc("ISO 4217; the document's currency when absent")] = None


@dataclass(repr=False)
class Address(Model):
    lines: list[str] = field(default_factory=list)
    city: str | None = None
    state: Annotated[str | None, Doc("state or province code")] = None
    postal_code: str | None = None
    country: Annotated[str | None, Doc("ISO 3166 country code")] = None


@dataclass(repr=False)
class Contact(Model):
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    fax: str | None = None
    role: Annotated[str | None, Doc("e.g. buyer, receiving, accounts payable")] = None


@dataclass(repr=False)
class PartyId(Model):
    type: PartyIdType
    value: str
    qualifier: Annotated[str | None, Doc("the partner's code for the type (X12 66)")] = None


@dataclass(repr=False)
class Party(Model):
    role: PartyRole
    name: str | None = None
    ids: list[PartyId] = field(default_factory=list)
    address: Address | None = None
    contacts: list[Contact] = field(default_factory=list)


@dataclass(repr=False)
class Reference(Model):
    """Any other reference number the partner sent (X12 REF), by its qualifier."""

    qualifier: str
    value: str
    description: str | None = None


@dataclass(repr=False)
class DateOf(Model):
    """A dated event: requested delivery, ship not before, cancel after, ...

    X12 lets a DTM carry a date, a time, or a period in a format of its own (DTM05/DTM06, e.g. RD8
    ``20240401-20240415``): ``date`` is there unless the partner sent only a time or a period."""

    type: Literal[
        "requested_delivery", "requested_ship", "ship_not_before", "ship_no_later", "deliver_not_before", "deliver_no_later",
        "cancel_after", "promised_delivery", "promised_ship", "estimated_delivery", "shipped", "delivered", "invoice", "order",
        "expiration", "production", "other",
    ]
    date: Date | None = None
    time: Time | None = None
    qualifier: Annotated[str | None, Doc("the partner's date qualifier (X12 374)")] = None
    period: Annotated[str | None, Doc("a date or time period as sent (X12 DTM06), e.g. 20240401-20240415")] = None
    period_format: Annotated[str | None, Doc("the period's format code (X12 1250, DTM05), e.g. RD8, D8")] = None


@dataclass(repr=False)
class AllowanceCharge(Model):
    indicator: Literal["allowance", "charge", "no_charge"]
    code: Annotated[str | None, Doc("the partner's allowance/charge code (X12 1300)")] = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    rate: Decimal | None = None
    quantity: Quantity | None = None
    description: str | None = None


@dataclass(repr=False)
class Terms(Model):
    type: str | None = None
    basis_date: str | None = None
    discount_percent: Decimal | None = None
    discount_due_date: Date | None = None
    discount_days: int | None = None
    net_due_date: Date | None = None
    net_days: int | None = None
    description: str | None = None


@dataclass(repr=False)
class Carrier(Model):
    scac: Annotated[str | None, Doc("Standard Carrier Alpha Code")] = None
    name: str | None = None
    mode: Annotated[str | None, Doc("transportation method code, e.g. M motor, A air")] = None
    service: str | None = None


@dataclass(repr=False)
class Correlation(Model):
    """Where a document came from and the keys operations trace it by."""

    partner: Annotated[str | None, Doc("partner profile ID")] = None
    sender: Annotated[str | None, Doc("ISA05:ISA06 of the interchange")] = None
    receiver: Annotated[str | None, Doc("ISA07:ISA08")] = None
    interchange_control: str | None = None
    group_control: str | None = None
    transaction_control: str | None = None
    transaction_set: str | None = None
    version: str | None = None
    usage: Annotated[
        Literal["production", "test", "information"] | None,
        Doc("ISA15 usage indicator: production (P), test (T) or information (I); flat files are production"),
    ] = None
    source_file: str | None = None
    correlation_id: Annotated[str | None, Doc("assigned by the gateway, carried to every delivery")] = None


# --- purchase order (850) ------------------------------------------------------------------------


@dataclass(repr=False)
class OrderLine(Model):
    line_number: Annotated[str, Doc("the partner's line number (PO101); when left out, the line's position (1, 2, ...)")]
    quantity: Annotated[Quantity | None, Doc("ordered quantity (PO102, optional in X12)")] = None
    identifiers: list[Identifier] = field(default_factory=list)
    description: str | None = None
    unit_price: Money | None = None
    price_basis: Annotated[str | None, Doc("X12 639, e.g. PE per each, CA per case")] = None
    pack: Annotated[int | None, Doc("inner units per outer pack")] = None
    pack_size: Decimal | None = None
    dates: list[DateOf] = field(default_factory=list)
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(repr=False)
class PurchaseOrder(Model):
    """A purchase order (X12 850, or a partner's flat file)."""

    po_number: str
    order_date: Date
    lines: list[OrderLine]
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    document_type: Literal["purchase_order"] = "purchase_order"
    purpose: Literal["original", "cancellation", "change", "replace", "confirmation", "duplicate", "other"] = "original"
    order_type: Annotated[str | None, Doc("e.g. stand_alone, blanket, release, dropship (or the partner's code)")] = None
    release_number: str | None = None
    currency: Annotated[str | None, Pattern("^[A-Z]{3}$")] = None
    department: str | None = None
    vendor_number: str | None = None
    promotion: str | None = None
    contract: str | None = None
    terms: Terms | None = None
    carrier: Carrier | None = None
    fob: Annotated[str | None, Doc("shipment method of payment, X12 146")] = None
    dates: list[DateOf] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    total_quantity: Decimal | None = None
    total_amount: Money | None = None
    line_count: int | None = None
    correlation: Correlation | None = None


# --- purchase order acknowledgment (855) ---------------------------------------------------------


@dataclass(repr=False)
class LineStatus(Model):
    status: Literal["accepted", "accepted_with_changes", "backordered", "rejected", "price_changed", "quantity_changed",
                    "date_changed", "substituted", "deleted", "on_hold", "other"]
    quantity: Quantity | None = None
    date: Date | None = None
    code: Annotated[str | None, Doc("the partner's status code (X12 668)")] = None


@dataclass(repr=False)
class AckLine(Model):
    line_number: Annotated[str, Doc("the order line (PO101); when the partner left it out, the line's position (1, 2, ...)")]
    statuses: Annotated[list[LineStatus], Doc("ACK statuses; none when the partner sent none (ack_type stands)")] = field(default_factory=list)
    quantity: Quantity | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    description: str | None = None
    unit_price: Money | None = None
    references: list[Reference] = field(default_factory=list)


@dataclass(repr=False)
class PurchaseOrderAcknowledgment(Model):
    """A purchase order acknowledgment (X12 855)."""

    po_number: str
    ack_type: Literal["accepted", "accepted_with_changes", "accepted_with_detail", "rejected", "rejected_with_detail",
                      "acknowledged_no_detail", "other"]
    ack_date: Annotated[Date | None, Doc("when the supplier acknowledged (BAK09, optional in X12)")] = None
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    document_type: Literal["purchase_order_acknowledgment"] = "purchase_order_acknowledgment"
    purpose: Literal["original", "cancellation", "change", "replace", "confirmation", "duplicate", "other"] = "original"
    po_date: Date | None = None
    acknowledgment_number: str | None = None
    currency: Annotated[str | None, Pattern("^[A-Z]{3}$")] = None
    dates: list[DateOf] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    lines: list[AckLine] = field(default_factory=list)
    line_count: int | None = None
    correlation: Correlation | None = None


# --- advance ship notice (856) -------------------------------------------------------------------


@dataclass(repr=False)
class Lot(Model):
    number: str
    quantity: Quantity | None = None
    expiration_date: Date | None = None
    production_date: Date | None = None


@dataclass(repr=False)
class ShippedItem(Model):
    quantity: Annotated[Quantity | None, Doc("shipped quantity (SN102; the SN1 segment is optional in X12)")] = None
    line_number: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    description: str | None = None
    ordered_quantity: Quantity | None = None
    lots: list[Lot] = field(default_factory=list)
    serial_numbers: list[str] = field(default_factory=list)
    dates: list[DateOf] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


SSCC = Annotated[str, Pattern(r"^\S(.*\S)?$"), Doc(
    "serial shipping container code: the 18 digits of an SSCC-18 (sent with the 00 application identifier, the prefix is "
    "dropped); any other form a partner sends is kept as sent, and translation warns about it")]


@dataclass(repr=False)
class Pack(Model):
    """A carton or pallet (X12 HL pack or tare level) and what is in it."""

    level: Literal["pack", "tare"] = "pack"
    sscc: SSCC | None = None
    marks: list[str] = field(default_factory=list)
    packaging: Annotated[str | None, Doc("packaging code, e.g. CTN25")] = None
    weight: Quantity | None = None
    items: list[ShippedItem] = field(default_factory=list)
    packs: Annotated[list[Pack], Doc("packs on this tare (pallet)")] = field(default_factory=list)


@dataclass(repr=False)
class ShippedOrder(Model):
    po_number: Annotated[str | None, Doc("the order (PRF01; the PRF segment is optional in X12)")] = None
    po_date: Date | None = None
    release_number: str | None = None
    department: str | None = None
    vendor_order_number: str | None = None
    references: list[Reference] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    packs: list[Pack] = field(default_factory=list)
    items: Annotated[list[ShippedItem], Doc("items shipped without a pack level")] = field(default_factory=list)


@dataclass(repr=False)
class ShipNotice(Model):
    """An advance ship notice (X12 856): shipment → orders → packs (on tares) → items."""

    shipment_id: str
    ship_date: Date
    orders: list[ShippedOrder]
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    document_type: Literal["ship_notice"] = "ship_notice"
    purpose: Literal["original", "cancellation", "change", "replace", "confirmation", "duplicate", "other"] = "original"
    ship_time: Time | None = None
    structure: Annotated[str | None, Doc("hierarchical structure code, BSN05 (e.g. 0001 shipment/order/pack/item)")] = None
    carrier: Carrier | None = None
    bill_of_lading: str | None = None
    tracking_number: str | None = None
    package_count: int | None = None
    gross_weight: Quantity | None = None
    dates: list[DateOf] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    line_count: int | None = None
    correlation: Correlation | None = None


# --- invoice (810) -------------------------------------------------------------------------------


@dataclass(repr=False)
class InvoiceLine(Model):
    line_number: Annotated[str, Doc("the partner's line number (IT101); when left out, the line's position (1, 2, ...)")]
    quantity: Annotated[Quantity | None, Doc("invoiced quantity (IT102; IT102-IT104 are optional in X12, all or none)")] = None
    unit_price: Money | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    description: str | None = None
    price_basis: str | None = None
    amount: Decimal | None = None
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass(repr=False)
class Invoice(Model):
    """An invoice (X12 810)."""

    invoice_number: str
    invoice_date: Date
    total_amount: Decimal
    lines: Annotated[list[InvoiceLine], Doc("IT1 lines; none on an invoice without detail (IT1 is optional)")] = field(default_factory=list)
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    document_type: Literal["invoice"] = "invoice"
    purpose: Literal["original", "cancellation", "change", "replace", "confirmation", "duplicate", "other"] = "original"
    invoice_type: Annotated[str | None, Doc("e.g. debit, credit (or the partner's code)")] = None
    po_number: str | None = None
    po_date: Date | None = None
    currency: Annotated[str | None, Pattern("^[A-Z]{3}$")] = None
    terms: Terms | None = None
    carrier: Carrier | None = None
    dates: list[DateOf] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    line_count: int | None = None
    correlation: Correlation | None = None


# --- functional acknowledgment (997/999) ---------------------------------------------------------


@dataclass(repr=False)
class AckError(Model):
    level: Literal["segment", "element"]
    code: Annotated[str, Doc("AK304/IK304 or AK403/IK403 code")]
    segment: str | None = None
    position: int | None = None
    element: int | None = None
    component: int | None = None
    data_element: str | None = None
    value: str | None = None


@dataclass(repr=False)
class AckedTransaction(Model):
    set_id: str
    control_number: str
    status: Literal["accepted", "accepted_with_errors", "rejected", "partially_accepted", "other"]
    codes: list[str] = field(default_factory=list)
    errors: list[AckError] = field(default_factory=list)


@dataclass(repr=False)
class FunctionalAck(Model):
    """What a partner's 997/999 says about a functional group we sent."""

    functional_id: str
    group_control: str
    status: Literal["accepted", "accepted_with_errors", "partially_accepted", "rejected", "other"]
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    document_type: Literal["functional_ack"] = "functional_ack"
    version: str | None = None
    ack_set: Literal["997", "999"] = "997"
    included: int | None = None
    received: int | None = None
    accepted: int | None = None
    codes: list[str] = field(default_factory=list)
    transactions: list[AckedTransaction] = field(default_factory=list)
    correlation: Correlation | None = None


DOCUMENTS: dict[str, type[Model]] = {
    "purchase_order": PurchaseOrder,
    "purchase_order_acknowledgment": PurchaseOrderAcknowledgment,
    "ship_notice": ShipNotice,
    "invoice": Invoice,
    "functional_ack": FunctionalAck,
}
