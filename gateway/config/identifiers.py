"""What an X12 identity in gateway.yaml or a partner profile may be: the envelope's rules, and the writer's.

* ISA05/ISA07, the interchange ID qualifier: a code of X12 element I05. The list is the one the envelope
  validator checks (``gateway.formats.x12.envelope.ISA_CODES``; a test keeps the two equal, and this
  module does not import the X12 engine, which loading a profile does not need). ``QQ`` would be refused by
  our own validator on every interchange addressed to it.
* ISA06/ISA08, the interchange ID: 1-15 characters; GS02/GS03, the application ID: 2-15. Of letters,
  digits, spaces between them and ``- . _ / & ( ) # @``. Other characters of the X12 character sets are
  refused because files commonly use them as delimiters: ``* ~ | ^ : > < ! + ' , ; = ? " \\ ` $ % [ ] { }``.
  An ID holding a delimiter of the interchange it goes into cannot be written: every acknowledgement
  to that partner would fail. (Leading and trailing spaces are the ISA's padding, never part of an ID.)

A partner that sends a character the allowed set lacks in its own IDs, or uses one of the allowed ones as a
delimiter, is refused per file with a clear reason (``ack.unwritable``), never retried.
"""

from __future__ import annotations

# X12 element I05 (interchange ID qualifier), as gateway.formats.x12.envelope.ISA_CODES[5] checks it.
INTERCHANGE_ID_QUALIFIERS = ("01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
                             "20", "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "AM", "NR", "SA", "SN", "ZZ")
ID_CHARACTERS = "letters, digits, spaces between them and - . _ / & ( ) # @"
_CHAR = r"[A-Za-z0-9._/&()#@-]"
_INNER = r"[A-Za-z0-9 ._/&()#@-]"

ISA_QUALIFIER = "^(" + "|".join(INTERCHANGE_ID_QUALIFIERS) + ")$"
ISA_ID = rf"^{_CHAR}({_INNER}{{0,13}}{_CHAR})?$"  # ISA06/ISA08: 1-15, no padding
GS_ID = rf"^{_CHAR}{_INNER}{{0,13}}{_CHAR}$"  # GS02/GS03: 2-15

# What a value that does not fit is told (after the value itself, e.g. "'QQ' is not ..."): the published schemas
# carry them too (patternErrorMessage, which editors show).
QUALIFIER_TEXT = "is not an interchange ID qualifier (X12 element I05: 01-04, 07-20, 27-36, AM, NR, SA, SN, ZZ)"
ISA_ID_TEXT = f"is not an ISA ID: 1-15 {ID_CHARACTERS} (no characters X12 files use as delimiters, such as * ~ | ^ : >)"
GS_ID_TEXT = f"is not a GS ID: 2-15 {ID_CHARACTERS} (no characters X12 files use as delimiters, such as * ~ | ^ : >)"
