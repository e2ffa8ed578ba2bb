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

# C0/C1 controls (tab and newline included: one value is one line), DEL, line/paragraph separators, bidi
# embeddings, overrides and isolates ("Trojan Source" reordering), zero-width and BOM characters, and lone
# surrogates (which JSON allows and UTF-8 cannot encode).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


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
