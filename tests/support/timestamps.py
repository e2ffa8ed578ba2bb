"""The generated timestamps the grammar's properties run on (timeline rules §1): one strategy for every test that
holds a reading of ``timestamp`` (the store's SQL macros, the warehouse's SQL, the SQL loader) equal to
``parse_timestamp``.

ISO texts are built from parts near every edge of the grammar: years 0 and 9999, months 0 and 13, hours 24,
seconds 60 and 61, fractions of any length, offsets in every spelling and out of range; and blanks - ASCII's six
and Unicode's other spaces (no-break, thin, ideographic, the C1 next line, the information separators Python's
``str.isspace`` counts) - around the text, between date and time and before the offset, where Python's ``\\s``
and RE2's differed.
"""

from __future__ import annotations

from hypothesis import strategies as st

ASCII_BLANKS = [" ", "\t", "\n", "\v", "\f", "\r"]
UNICODE_SPACES = ["\u00a0", "\u2009", "\u202f", "\u3000", "\u2028", "\x85", "\x1c", "\u200b", "\ufeff"]
BLANKS = st.sampled_from(["", "", *ASCII_BLANKS, *UNICODE_SPACES])

iso_texts = st.tuples(
    BLANKS,
    st.sampled_from(["0000", "0001", "1969", "1970", "2024", "2026", "9999", "0999"]),
    st.integers(0, 13).map(lambda m: f"-{m:02d}"),
    st.integers(0, 32).map(lambda d: f"-{d:02d}"),
    st.sampled_from(["T", "t", " ", "  ", "_", *UNICODE_SPACES]),
    st.integers(0, 24).map(lambda h: f"{h:02d}"),
    st.integers(0, 60).map(lambda m: f":{m:02d}"),
    st.one_of(st.just(""), st.integers(0, 61).map(lambda s: f":{s:02d}")),
    st.one_of(st.just(""), st.tuples(st.sampled_from(".,"), st.text("0123456789", max_size=12)).map("".join)),
    BLANKS,
    st.sampled_from(["", "Z", "z", "+00:00", "+02:00", "-05:30", "+0200", "+02", "-23:59", "+24:00", "+2", "+02:60", "UTC"]),
    BLANKS,
).map("".join)

numbers = st.one_of(
    st.integers(-(2**65), 2**65),
    st.integers(-(10**13), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(-1e15, 1e15, allow_nan=False),
)

# What a record's ``timestamp`` may hold: ISO texts, numbers, any text, booleans, null.
timestamps = st.one_of(iso_texts, numbers, st.text(max_size=30), st.booleans(), st.none())
