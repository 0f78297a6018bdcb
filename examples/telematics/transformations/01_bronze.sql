-- 01_bronze: Auto Loader over the landing volume, one streaming table per device feed. Every update reads the
-- files that landed since the last one (availableNow), exactly once; new columns are added as they appear.

CREATE OR REFRESH STREAMING TABLE telematics
COMMENT 'device readings as they land (Parquet), with the file each came from'
AS SELECT *, _metadata.file_path AS source_file, _metadata.file_modification_time AS landed_at
FROM STREAM read_files('${landing}/parquet', format => 'parquet', schemaEvolutionMode => 'addNewColumns');

CREATE OR REFRESH STREAMING TABLE telematics_test
COMMENT 'the test feed (JSON lines); a malformed line is kept whole in _corrupt_record'
AS SELECT *, _metadata.file_path AS source_file
FROM STREAM read_files('${landing}/json', format => 'json', inferColumnTypes => true);

-- The fleet's reference data stays in its own Postgres (Supabase in the seed), registered as the foreign catalog
-- supabase_data (Lakehouse Federation): read in place at every update, in one read-only transaction.
CREATE OR REFRESH MATERIALIZED VIEW vehicles (
  CONSTRAINT has_vehicle_id EXPECT (vehicle_id IS NOT NULL) ON VIOLATION FAIL UPDATE
)
COMMENT 'one row per vehicle: make, model, fleet (from the foreign catalog supabase_data)'
AS SELECT * FROM supabase_data.public.vehicles;
