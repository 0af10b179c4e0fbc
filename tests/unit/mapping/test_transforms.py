"""Named transforms: the ``sscc`` normalisation of shipping container codes."""

from __future__ import annotations

import pytest

from gateway.mapping import transforms as tf


@pytest.mark.parametrize("sent, canonical", [
    ("006141411234567890", "006141411234567890"),  # an SSCC-18 as is
    ("00006141411234567890", "006141411234567890"),  # 00 application identifier + SSCC-18
    (" 006141411234567890 ", "006141411234567890"),
])
def test_sscc_18_and_its_00_application_identifier_form_give_the_18_digits(sent, canonical):
    assert tf.transform("sscc", sent) == canonical


@pytest.mark.parametrize("sent", [
    "0000123456781234567891",  # 22 digits (seen in the public corpus)
    "10006141411234567890",  # 20 digits behind another application identifier
    "0061414112345678",  # too short
    "SSCC-006141411234567890",
])
def test_any_other_form_is_kept_as_sent_with_a_reason(sent):
    with pytest.raises(tf.Unusual) as kept:
        tf.transform("sscc", sent)
    assert kept.value.value == sent
    assert "not an SSCC-18" in kept.value.message and "kept as sent" in kept.value.message


@pytest.mark.parametrize("canonical, sent", [
    ("006141411234567890", "00006141411234567890"),
    ("00006141411234567890", "00006141411234567890"),  # already with its application identifier: not doubled
])
def test_sscc_with_ai_writes_the_20_digits_man_gm_calls_for(canonical, sent):
    assert tf.transform("sscc_with_ai", canonical) == sent


def test_sscc_with_ai_writes_another_form_as_it_is_with_a_reason():
    with pytest.raises(tf.Unusual) as kept:
        tf.transform("sscc_with_ai", "0000123456781234567891")
    assert kept.value.value == "0000123456781234567891"
