"""The pure sessionization core: events in, timeline out (no database, terminal or pandas)."""

from .model import Event, Gap, Row, Timeline, Window
from .options import Options
from .sessionize import delivery_timeline, pilot_timeline, robot_timeline
from .source_protocol import EventSource

__all__ = [
    "Event",
    "Gap",
    "Row",
    "Timeline",
    "Window",
    "EventSource",
    "Options",
    "delivery_timeline",
    "pilot_timeline",
    "robot_timeline",
]
