"""The investigator's web workbench: pages served by the API application.

`router` serves the HTML pages (alert queue, link chart, trace, timeline with
sources and uses, entity, cases, case, employers) and their static files. The
pages read everything through the JSON API; see `_pages` and `static/js/`.
"""

from moneytrail.web._pages import router

__all__ = ["router"]
