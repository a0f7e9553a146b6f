"""tabletwin's Presidio recognizers, one module per entity, and the offline engine built from them.

* one recognizer per module, each a Presidio recognizer that checks its own matches
  (``validate_result`` / ``invalidate_result``, or a pure span finder behind
  :class:`~.base.SpanRecognizer`): :mod:`.email_address`, :mod:`.card_number`, :mod:`.iban_code`,
  :mod:`.us_ssn`, :mod:`.ip_address`, :mod:`.url`, :mod:`.phone_number`, :mod:`.person_name`,
  :mod:`.street_address`;
* :mod:`.registry`: the built-in recognizers and what each validates with;
* :mod:`.yaml_patterns`: pattern recognizers declared in YAML files (the format is there);
* :mod:`.analysis`: the process-wide AnalyzerEngine over a RecognizerRegistry of both, and span
  analysis of texts (cached, pooled for many texts).

Importing any of these imports Presidio (and spaCy, about 4 s), so the rest of
:mod:`tabletwin.pii` imports them only when needed.
"""

import os
import tempfile
from pathlib import Path

# Presidio's e-mail recognizer imports tldextract, which fetches the public-suffix list on first
# use and reads these variables when it is imported: keep it offline and out of the home
# directory. Set here, before any module of this package imports Presidio.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("TLDEXTRACT_CACHE", str(Path(tempfile.gettempdir()) / "tabletwin-tldextract"))
