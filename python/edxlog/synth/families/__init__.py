"""Event families: each module builds the events of one family and exports ``BUILDERS``, a map
from the generator's *kind* (see the profiles) to a function ``(member, kind, course, user,
flags) -> Event``."""

from __future__ import annotations

from . import enrollment, forums, navigation, open_ended, problems, textbook, urls, video

BUILDERS = {}
for _family in (video, textbook, navigation, problems, open_ended, urls, enrollment, forums):
    BUILDERS.update(_family.BUILDERS)
