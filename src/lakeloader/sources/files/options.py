"""The files source's options: Auto Loader's names (`cloudFiles.` prefix optional, case-insensitive), validated.

An unknown or misspelt option is a one-line error naming the closest known option, never silently ignored.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lakeloader import units
from lakeloader.errors import ConfigError

FileFormat = Literal["avro", "parquet", "json", "csv", "text", "binaryFile"]
EvolutionMode = Literal["addNewColumns", "rescue", "failOnNewColumns", "none"]
ParseMode = Literal["PERMISSIVE", "DROPMALFORMED", "FAILFAST"]
CleanSource = Literal["OFF", "DELETE", "MOVE"]


def parse_bytes(value: str | int, *, option: str = "maxBytesPerTrigger") -> int:
    """'10g', '512 MB', 1048576 → bytes."""
    return units.parse_bytes(value, option=option)


def parse_duration(value: str | float | int, *, option: str) -> float:
    """'30s', '7 days', '1 hour', 0 → seconds."""
    return units.parse_seconds(value, option=option)


class FilesOptions(BaseModel):
    """Auto Loader options (https://docs.databricks.com/ingestion/cloud-object-storage/auto-loader/options)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    format: FileFormat = Field(alias="format")
    # discovery
    path_glob_filter: str | None = Field(None, alias="pathGlobFilter")
    recursive_file_lookup: bool = Field(True, alias="recursiveFileLookup")
    modified_after: datetime | None = Field(None, alias="modifiedAfter")
    modified_before: datetime | None = Field(None, alias="modifiedBefore")
    include_existing_files: bool = Field(True, alias="includeExistingFiles")
    allow_overwrites: bool = Field(False, alias="allowOverwrites")
    # Auto Loader's directory-listing strategy (auto, true, false): accepted with its meaning; the folder is
    # always listed whole here, and the ledger skips what it has seen, which is what `false` asks for
    use_incremental_listing: Literal["auto", "true", "false"] = Field("auto", alias="useIncrementalListing")
    max_files_per_trigger: int = Field(1000, alias="maxFilesPerTrigger", ge=1)
    max_bytes_per_trigger: int | None = Field(None, alias="maxBytesPerTrigger")
    zero_byte_file_grace: float = Field(60.0, alias="zeroByteFileGracePeriod")
    content_hash: bool = Field(False, alias="contentHash")
    skip_duplicate_files: bool = Field(False, alias="skipDuplicateFiles")
    # schema
    schema_location: str | None = Field(None, alias="schemaLocation")
    schema_hints: str | None = Field(None, alias="schemaHints")
    # how much of the first batch infers the schema (Spark confs spark.databricks.cloudFiles.schemaInference.*)
    inference_files: int | None = Field(None, alias="schemaInference.sampleSize.numFiles", ge=1)
    inference_bytes: int | None = Field(None, alias="schemaInference.sampleSize.numBytes", ge=1)
    infer_column_types: bool = Field(False, alias="inferColumnTypes")
    schema_evolution_mode: EvolutionMode | None = Field(None, alias="schemaEvolutionMode")
    rescued_data_column: str | None = Field(None, alias="rescuedDataColumn")
    reader_case_sensitive: bool = Field(True, alias="readerCaseSensitive")
    # bad input
    mode: ParseMode = Field("PERMISSIVE", alias="mode")
    corrupt_record_column: str = Field("_corrupt_record", alias="columnNameOfCorruptRecord")
    bad_records_path: str | None = Field(None, alias="badRecordsPath")
    # format specifics
    multi_line: bool = Field(False, alias="multiLine")
    header: bool = Field(False, alias="header")
    delimiter: str = Field(",", alias="sep")
    quote: str = Field('"', alias="quote")
    escape: str | None = Field(None, alias="escape")
    encoding: str = Field("utf-8", alias="encoding")
    whole_text: bool = Field(False, alias="wholetext")
    # extra columns
    include_metadata: bool = Field(False, alias="includeMetadata")
    audit_columns: bool = Field(False, alias="auditColumns")
    ingested_at_column: str = Field("_ingested_at", alias="ingestedAtColumn")
    source_column: str = Field("_source", alias="sourceColumn")
    batch_id_column: str = Field("_batch_id", alias="batchIdColumn")
    # after ingest
    clean_source: CleanSource = Field("OFF", alias="cleanSource")
    clean_source_move_destination: str | None = Field(None, alias="cleanSource.moveDestination")
    clean_source_retention: float = Field(30 * 86400.0, alias="cleanSource.retentionDuration")
    # runtime
    read_threads: int = Field(0, alias="readThreads", ge=0)
    # lakeloader's own: Parquet files at least this big whose columns are already what the table stores are
    # copied into the table as they are (no decode/encode round trip); "off" re-encodes every file
    copy_through_min_file_size: int | None = Field(8 * 1024**2, alias="copyThroughMinFileSize", ge=0)

    @field_validator("use_incremental_listing", mode="before")
    @classmethod
    def _listing(cls, v: Any) -> Any:
        return str(v).lower() if isinstance(v, str | bool) else v

    @field_validator("inference_bytes", mode="before")
    @classmethod
    def _inference_bytes(cls, v: Any) -> Any:
        return parse_bytes(v, option="schemaInference.sampleSize.numBytes") if isinstance(v, str) else v

    @field_validator("max_bytes_per_trigger", mode="before")
    @classmethod
    def _bytes(cls, v: Any) -> Any:
        return None if v is None else parse_bytes(v)

    @field_validator("copy_through_min_file_size", mode="before")
    @classmethod
    def _copy_size(cls, v: Any) -> Any:
        if isinstance(v, str) and v.strip().lower() in ("off", "none", "false", "never"):
            return None
        return None if v is None else parse_bytes(v, option="copyThroughMinFileSize")

    @field_validator("zero_byte_file_grace", mode="before")
    @classmethod
    def _grace(cls, v: Any) -> Any:
        return parse_duration(v, option="zeroByteFileGracePeriod")

    @field_validator("clean_source_retention", mode="before")
    @classmethod
    def _retention(cls, v: Any) -> Any:
        return parse_duration(v, option="cleanSource.retentionDuration")

    @field_validator("modified_after", "modified_before")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v

    @field_validator("path_glob_filter")
    @classmethod
    def _glob(cls, v: str | None) -> str | None:
        if v is not None:
            from lakeloader.sources.files.discovery import glob_regex

            glob_regex(v, what="option pathGlobFilter")  # a bad pattern is the user's mistake, said now
        return v

    @field_validator("clean_source", "mode", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    def evolution_mode(self, *, declared: bool) -> EvolutionMode:
        """Auto Loader's default: addNewColumns when the schema is inferred, none when it is declared."""
        if self.schema_evolution_mode is not None:
            return self.schema_evolution_mode
        return "none" if declared else "addNewColumns"

    def inference_sample(self, *, declared: bool) -> tuple[int, int]:
        """(files, bytes) of the first batch that infer the schema: Auto Loader's 1000 files or 50 GB unless set.
        Where new columns evolve the table anyway (addNewColumns), 16 files are enough to start from (a later
        file with new columns grows the schema, as Auto Loader's restart does), and faster."""
        default = 16 if self.evolution_mode(declared=declared) == "addNewColumns" else 1000
        return self.inference_files or default, self.inference_bytes or 50 * 1024**3

    def rescue_column(self, *, declared: bool) -> str | None:
        """`_rescued_data` is on by default for inferred schemas and in rescue mode, as in Auto Loader."""
        if self.rescued_data_column is not None:
            return self.rescued_data_column or None
        mode = self.evolution_mode(declared=declared)
        return "_rescued_data" if mode == "rescue" or (not declared and mode != "none") else None

    @property
    def hashing(self) -> bool:
        return self.content_hash or self.skip_duplicate_files

    @property
    def with_metadata(self) -> bool:
        return self.include_metadata or self.allow_overwrites


_ALIASES: dict[str, str] = {}
for _name, _field in FilesOptions.model_fields.items():
    _ALIASES[(_field.alias or _name).lower()] = _field.alias or _name
    _ALIASES[_name.lower()] = _field.alias or _name
_ALIASES.update({"delimiter": "sep", "cleansource.retention": "cleanSource.retentionDuration"})


SESSION_PREFIX = "spark.databricks.cloudfiles."


def session_option(conf: str) -> str | None:
    """The files option a Spark session conf sets (`spark.databricks.cloudFiles.schemaInference.sampleSize.numFiles`
    is option `schemaInference.sampleSize.numFiles`), or None when it names none."""
    if not conf.lower().startswith(SESSION_PREFIX):
        return None
    return _ALIASES.get(conf[len(SESSION_PREFIX) :].lower())


def parse_options(options: dict[str, Any]) -> FilesOptions:
    """Validate user options (any case, `cloudFiles.` prefix optional) into `FilesOptions`."""
    normal: dict[str, Any] = {}
    for key, value in options.items():
        bare = key[len("cloudfiles.") :] if key.lower().startswith("cloudfiles.") else key
        canonical = _ALIASES.get(bare.lower())
        if canonical is None:
            close = difflib.get_close_matches(bare, sorted(set(_ALIASES.values())), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else "see docs/files_source.md for the option list"
            raise ConfigError(f"files source: unknown option {key!r}; {hint}")
        normal[canonical] = value
    if "format" not in normal:
        raise ConfigError(
            "files source: no format given; pass format= (cloudFiles.format) avro, parquet, json, csv, text "
            "or binaryFile"
        )
    try:
        return FilesOptions.model_validate(normal)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "options"
        raise ConfigError(
            f"files source: option {where} = {err.get('input')!r} is invalid ({err['msg']}); fix the value"
        ) from None
