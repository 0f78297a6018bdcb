"""Storage credentials: the keys that reach an object store, kept in the metastore as `{{secrets/...}}` references.

Unity Catalog's storage credential and external location in one: a credential covers every URL under its `url`
(`s3://bucket` or `s3://bucket/prefix`; the longest match wins). Opening the lakehouse resolves the references
(each value registered with the redactor) and hands the values to `storage` for this process; without a
credential, each library reads the standard environment variables. A plain key is refused: it would sit in the
metastore in clear.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lakeloader.errors import ConfigError, LakeloaderError, NotFoundError
from lakeloader.lakehouse import names, storage
from lakeloader.paths import scheme_of

if TYPE_CHECKING:
    from lakeloader.lakehouse.root import Lakehouse

log = logging.getLogger(__name__)
KIND = "storage_credential"
SECRET_FIELDS = ("access_key_id", "secret_access_key", "session_token")
PLAIN_FIELDS = ("url", "region", "endpoint_url", "allow_http", "comment")


def create(lh: Lakehouse, name: str, *, if_not_exists: bool = False, **fields: Any) -> dict[str, Any]:
    """Store credential `name` (its keys as secret references); returns what `list` shows of it."""
    from lakeloader.secrets import require_reference

    checked = names.check_name(name, kind="storage credential")
    url = str(fields.get("url") or "")
    if scheme_of(url) != "s3":
        raise ConfigError(
            f"storage credential {checked}: --url {url or '(missing)'} is not an s3:// URL; storage credentials "
            "are built for S3 and S3-compatible stores (ADLS and GCS read their environment variables)"
        )
    props: dict[str, Any] = {"url": storage.check_url(url, what=f"storage credential {checked}")}
    for field in SECRET_FIELDS:
        value = fields.get(field)
        if value:
            props[field] = require_reference(value, f"storage credential {checked}: {field.replace('_', '-')}")
        elif field != "session_token":
            raise ConfigError(
                f"storage credential {checked}: --{field.replace('_', '-')} missing; pass it as "
                "'{{secrets/<scope>/<key>}}'"
            )
    for field in ("region", "endpoint_url", "comment"):
        if fields.get(field):
            props[field] = str(fields[field])
    props["allow_http"] = bool(fields.get("allow_http"))
    if if_not_exists and lh.metastore.get_record(KIND, checked) is not None:
        return describe(lh, checked)
    lh.metastore.put_record(kind=KIND, name=checked, properties=props)
    apply(lh)
    return describe(lh, checked)


def describe(lh: Lakehouse, name: str) -> dict[str, Any]:
    record = lh.metastore.get_record(KIND, name.strip().lower())
    if record is None:
        raise NotFoundError(
            f"storage credential {name} does not exist; list them with 'lakeloader storage-credentials list'"
        )
    return {"name": record.name, **record.properties, "owner": record.owner, "created_at": record.created_at}


def list_all(lh: Lakehouse) -> list[dict[str, Any]]:
    return [describe(lh, r.name) for r in lh.metastore.find_records(KIND)]


def drop(lh: Lakehouse, name: str) -> None:
    describe(lh, name)
    lh.metastore.delete_records(KIND, scope="", names=[name.strip().lower()])


def apply(lh: Lakehouse) -> None:
    """Resolve every credential's references and use them in this process. A credential that cannot be resolved
    (a deleted secret) is skipped with a warning: the store's own error names what is missing when it is used."""
    from lakeloader.secrets import resolve_references

    for record in lh.metastore.find_records(KIND):
        props = record.properties
        try:
            values = {f: resolve_references(str(props[f]), root=lh.home) for f in SECRET_FIELDS if props.get(f)}
        except LakeloaderError as exc:
            log.warning("storage credential %s is not used: %s", record.name, exc)
            continue
        storage.use_credentials(
            storage.Credentials(
                url=str(props["url"]),
                access_key_id=values["access_key_id"],
                secret_access_key=values["secret_access_key"],
                session_token=values.get("session_token"),
                region=props.get("region"),
                endpoint_url=props.get("endpoint_url"),
                allow_http=bool(props.get("allow_http")),
            )
        )
