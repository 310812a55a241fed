"""Drop-in replacement for Apache Storm's multilang ``storm.py``.

``import storm`` yields squall's compatibility module itself (not a copy), so
module state such as ``storm.ANCHOR_TUPLE`` is shared with the implementation.
"""

import sys

from squall import storm_compat

sys.modules[__name__] = storm_compat
