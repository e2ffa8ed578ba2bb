"""Untrusted text stays text: the one escaping function for strings that reach a terminal.

Event data and file names come from services and shippers coco does not control. A control character in them
(ESC, BEL, CR, the C1 range, OSC sequences) would let a record set the window title, clear the screen, forge a
hyperlink or overwrite what is shown. Every such string goes through ``for_terminal`` before it is printed.
"""

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def for_terminal(text: str) -> str:
    """Text safe to print on a terminal: control characters (C0, DEL, C1, lone surrogates) shown as escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)
