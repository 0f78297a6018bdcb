-- 03_gold: what the fleet manager reads. Distances come from the odometer (its span over a day), so a lost
-- reading does not shorten a trip.

CREATE OR REFRESH MATERIALIZED VIEW `03_gold`.vehicle_daily_distance
COMMENT 'kilometres driven per vehicle and day, with the readings and the top speed'
AS SELECT r.vehicle_id, v.make, v.model, v.fleet, to_date(r.ts) AS day,
  round(max(r.odometer_km) - min(r.odometer_km), 3) AS distance_km,
  count(*) AS readings,
  max(r.speed_kmh) AS top_speed_kmh
FROM `02_silver`.readings r LEFT JOIN vehicles v ON r.vehicle_id = v.vehicle_id
GROUP BY r.vehicle_id, v.make, v.model, v.fleet, to_date(r.ts);

CREATE OR REFRESH MATERIALIZED VIEW `03_gold`.harsh_braking
COMMENT 'harsh braking events per 100 km driven, per vehicle'
AS WITH per_day AS (
  SELECT vehicle_id, to_date(ts) AS day, max(odometer_km) - min(odometer_km) AS km, count_if(harsh_brake) AS brakes
  FROM `02_silver`.readings
  GROUP BY vehicle_id, to_date(ts)
)
SELECT p.vehicle_id, v.make, v.model, v.fleet,
  round(sum(p.km), 1) AS distance_km,
  sum(p.brakes) AS harsh_brakes,
  round(100 * sum(p.brakes) / nullif(sum(p.km), 0), 2) AS harsh_brakes_per_100km
FROM per_day p LEFT JOIN vehicles v ON p.vehicle_id = v.vehicle_id
GROUP BY p.vehicle_id, v.make, v.model, v.fleet;

CREATE OR REFRESH STREAMING TABLE `03_gold`.fleet_hourly
COMMENT 'readings and average speed per hour, appended once the hour is closed: the watermark (the latest reading less 30 minutes) leaves out readings that come later than that'
AS SELECT window(ts, '1 hour') AS hour, count(*) AS readings, round(avg(speed_kmh), 1) AS avg_speed_kmh
FROM STREAM(`02_silver`.readings_valid) WATERMARK ts DELAY OF INTERVAL 30 MINUTES AS r
GROUP BY window(ts, '1 hour');
