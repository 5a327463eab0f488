"""Data access for wells, alerts, accidents, analogue cases and model versions.

Keyword-only functions on a SQLAlchemy ``Connection``; the caller owns the transaction
(``with engine.begin() as conn: ...``). Rows come back as plain dicts whose datetimes are
timezone-aware UTC. A missing row raises :class:`NotFound`, a refused state change
:class:`Conflict`, a malformed argument ``ValueError``; every message names the id and the
value.

Read-modify-write functions lock the row they change first (``SELECT ... FOR UPDATE`` on
PostgreSQL, an early no-op write on SQLite, which takes SQLite's single write lock), so
concurrent callers serialise instead of losing updates.

One module per resource (:mod:`.wells`, :mod:`.alerts`, :mod:`.accidents`,
:mod:`.analogues`, :mod:`.model_versions`); callers use the names re-exported here
(``from service.db import repo`` then ``repo.get_well(...)``).
"""

from service.db.repo._common import Conflict, NotFound, Row
from service.db.repo.accidents import (
    ACCIDENT_FIELDS,
    ACCIDENT_UPDATABLE,
    delete_accident,
    delete_alert_accidents,
    get_accident,
    insert_accident,
    insert_accidents,
    list_accidents,
    update_accident,
)
from service.db.repo.alerts import (
    ALERT_TRANSITIONS,
    add_alert_comment,
    dismissed_alert_times,
    get_alert,
    insert_alert,
    list_alerts,
    set_alert_status,
)
from service.db.repo.analogues import CASE_FIELDS, list_analogue_cases, replace_analogue_cases
from service.db.repo.model_versions import (
    activate_model_version,
    get_active_model_version,
    get_model_version,
    list_model_versions,
    register_model_version,
)
from service.db.repo.wells import (
    WELL_FIELDS,
    create_well,
    ensure_well,
    get_well,
    list_wells,
    lock_well,
    touch_well,
    update_well,
)

__all__ = [
    "ACCIDENT_FIELDS",
    "ACCIDENT_UPDATABLE",
    "ALERT_TRANSITIONS",
    "CASE_FIELDS",
    "WELL_FIELDS",
    "Conflict",
    "NotFound",
    "Row",
    "activate_model_version",
    "add_alert_comment",
    "create_well",
    "delete_accident",
    "delete_alert_accidents",
    "dismissed_alert_times",
    "ensure_well",
    "get_accident",
    "get_active_model_version",
    "get_alert",
    "get_model_version",
    "get_well",
    "insert_accident",
    "insert_accidents",
    "insert_alert",
    "list_accidents",
    "list_alerts",
    "list_analogue_cases",
    "list_model_versions",
    "list_wells",
    "lock_well",
    "register_model_version",
    "replace_analogue_cases",
    "set_alert_status",
    "touch_well",
    "update_accident",
    "update_well",
]
