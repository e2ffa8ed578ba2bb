"""Untrusted text made safe for a terminal: every string from data or file names goes through ``for_terminal``.

Control characters (C0 including ``\\r`` and ESC, DEL, C1) and lone surrogates are shown as visible escapes
(``\\x1b``, ``\\x9b``, ``\\udc80``), so a record cannot set the window title, move the cursor, forge a hyperlink
or overwrite what was printed before it. Printable text, including non-ASCII, is unchanged.
"""

import re
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
def for_terminal(text: str) -> str:
    """Text safe to print on a terminal: control characters (C0, DEL, C1, lone surrogates) shown as escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)
