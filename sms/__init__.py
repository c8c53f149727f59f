"""SMS: templates, encoding and segments, providers, sending, consent and delivery reports (issue 16).

``count_segments(text) -> Segments`` (``sms.segments``) is the one count of encoding, units and parts that
the editor, the previews, bulk estimates and the message log all use.
"""

from sms.segments import Segments, count_segments

__all__ = ["Segments", "count_segments"]
