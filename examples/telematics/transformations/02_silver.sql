-- 02_silver: readings a device can have sent (coordinates on Earth and not the (0, 0) of a lost GPS fix, a
-- speed a van can reach), the rest kept in readings_valid_quarantine; then one row per vehicle and instant,
-- so a file uploaded twice counts once.

CREATE OR REFRESH STREAMING TABLE `02_silver`.readings_valid (
  CONSTRAINT has_vehicle EXPECT (vehicle_id IS NOT NULL AND ts IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_coordinates EXPECT (
    lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180 AND NOT (lat = 0 AND lon = 0)
  ) ON VIOLATION DROP ROW,
  CONSTRAINT valid_speed EXPECT (speed_kmh BETWEEN 0 AND ${max_speed_kmh}) ON VIOLATION DROP ROW
)
COMMENT 'readings that pass the checks, as they stream in from bronze'
AS SELECT * FROM STREAM(telematics);

CREATE OR REFRESH MATERIALIZED VIEW `02_silver`.readings
COMMENT 'one row per vehicle and instant (the first copy, by file)'
AS SELECT * EXCEPT (source_file, landed_at)
FROM `02_silver`.readings_valid
QUALIFY row_number() OVER (PARTITION BY vehicle_id, ts ORDER BY landed_at, source_file) = 1;
