"""The public API is small and pinned: adding or removing a name is a deliberate change."""

from gateway.formats import x12


def test_x12_public_names():
    assert sorted(x12.__all__) == sorted([
        "AckNumbers", "CODES", "Code", "Delimiters", "EnvelopeWriter", "Finding", "Group", "GroupResult", "Interchange",
        "InterchangeResult", "Overlay", "Position", "Report", "Segment", "SpecLibrary", "Transaction", "TransactionResult",
        "Validator", "WriterError", "ack_set_for", "acknowledge", "acknowledge_report", "bundled_dirs", "default_library",
        "iter_segments", "parse", "serialize", "serialize_segment",
    ])
    for name in x12.__all__:
        assert getattr(x12, name) is not None


def test_flatfile_public_names():
    from gateway.formats import flatfile

    assert sorted(flatfile.__all__) == sorted([
        "CsvOptions", "FieldDef", "FlatFileError", "FlatLayout", "Match", "RecordType", "load_layout", "read",
    ])
    for name in flatfile.__all__:
        assert getattr(flatfile, name) is not None


def test_translate_and_canonical_public_names():
    from gateway import canonical, translate

    assert sorted(translate.__all__) == sorted([
        "KEY_FIELDS", "GatewayError", "ProfileDirectory", "Translated", "Translation", "Translator", "default_spec_name",
        "describe", "render_text", "to_json", "translator_for",
    ])
    assert sorted(canonical.__all__) == sorted(["DOCUMENTS", "SCHEMA_VERSION", "SchemaIssue", "schema_for", "validate_document"])
    for module in (translate, canonical):
        for name in module.__all__:
            assert getattr(module, name) is not None


def test_store_pipeline_and_channel_public_names():
    from gateway import pipeline, store
    from gateway.channels import base as channels

    assert sorted(store.__all__) == sorted([
        "AckRecord", "DeliveryOutcome", "EnvelopeRecord", "GroupRecord", "InterchangeRecord", "MappedRecord", "PendingAck",
        "PendingDelivery", "PendingTransaction", "Problem", "Receipt", "RouteRecord", "Store", "TransactionRecord", "Work",
        "new_correlation_id", "sqlite_url",
    ])
    assert sorted(pipeline.__all__) == ["Gateway", "Summary", "Worker"]
    assert {"Channel", "Inbound", "Accept"} <= set(vars(channels))
    for module in (store, pipeline):
        for name in module.__all__:
            assert getattr(module, name) is not None
