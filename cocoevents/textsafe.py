"""Untrusted text stays text: the one escaping function for strings that reach a person.

Event data and file names come from services and shippers coco does not control. A control character in them
(ESC, BEL, CR, the C1 range, OSC sequences) would let a record set the window title, clear the screen, forge a
hyperlink or overwrite what is shown; a bidi override reorders what a reader sees. Every such string goes
through ``visible`` (``for_terminal``) before it is printed; the html and markdown views add their own
escaping on top.

``say`` is the one writer of stderr lines (the CLI's errors, warnings and notes): it escapes every line it is
given, so a message built from an id, a key or a server's answer cannot carry a control sequence to the terminal
even when its author forgot ``for_terminal`` (escaping is idempotent: an escaped part passes unchanged).
"""

import re
import sys

# C0/C1 controls (tab and newline included: one value is one line), DEL, line/paragraph separators, lone
# surrogates (which JSON allows and UTF-8 cannot encode), and every format character (Unicode category Cf, listed
# here as of Unicode 15 so nothing is computed at import): the soft hyphen, Arabic and Syriac marks (U+061C, the
# Arabic letter mark, makes look-alike ids), bidi embeddings, overrides, isolates and marks ("Trojan Source"
# reordering), zero-width characters, word joiners, invisible operators, the BOM, interlinear annotation, and the
# tag characters. A test checks the list against Python's own Unicode data.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def visible(text: str) -> str:
    """``text`` with every control or invisible formatting character shown as ``\\xNN``/``\\uNNNN``."""
    return _INVISIBLE.sub(_escape, text)


def for_terminal(text: str) -> str:
    """Text safe to print on a terminal (the same escaping as ``visible``; idempotent)."""
    return visible(text)


def say(message: str) -> None:
    """``message`` on stderr, each of its lines escaped (``for_terminal``), ending with one newline."""
    lines = message.rstrip("\n").split("\n")
    sys.stderr.write("".join(for_terminal(line) + "\n" for line in lines))
    sys.stderr.flush()
