"""Code values the interchange envelope (ISA) may carry."""

from __future__ import annotations

# ISA element position -> allowed values (I01, I03, I05 for 004010 and 005010, I13, I14).
ISA_CODES = {
    1: {"00", "03"},
    3: {"00", "01"},
    5: {"01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
        "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "AM", "NR", "SA", "SN", "ZZ"},
    14: {"0", "1"},
    15: {"P", "T", "I"},
}
ISA_CODES[7] = ISA_CODES[5]
