"""The pure sessionization core: events in, timeline out (no database, terminal or pandas)."""

from .model import Event, Gap, Row, Timeline, Window
from .sessionize import EventSource, Options, delivery_timeline, pilot_timeline, robot_timeline

__all__ = [
    "Event", "Gap", "Row", "Timeline", "Window", "EventSource", "Options",
    "delivery_timeline", "pilot_timeline", "robot_timeline",
]
