using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Api.Infrastructure.Migrations
{
    /// <summary>
    /// Telemetry moves from one row per metric point to one row per reading (metric names and values as two
    /// parallel arrays): a five-metric reading costs one heap tuple and one index entry instead of five, which
    /// is what bounded ingest. Stored readings are converted, not dropped; partitions keep their names.
    /// </summary>
    public partial class TelemetryRowPerReading : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE telemetry RENAME TO telemetry_points;
                ALTER TABLE telemetry_points RENAME CONSTRAINT pk_telemetry TO pk_telemetry_points;
                DO $$
                DECLARE part record;
                BEGIN
                    FOR part IN
                        SELECT child.relname FROM pg_inherits
                        JOIN pg_class child ON child.oid = pg_inherits.inhrelid
                        JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
                        WHERE parent.relname = 'telemetry_points'
                    LOOP
                        EXECUTE format('ALTER TABLE %I RENAME TO %I', part.relname, 'old_' || part.relname);
                    END LOOP;
                END $$;

                CREATE TABLE telemetry (
                    device_id uuid NOT NULL,
                    seq bigint NOT NULL,
                    ts timestamptz NOT NULL,
                    metric_names text[] NOT NULL,
                    metric_values double precision[] NOT NULL,
                    CONSTRAINT pk_telemetry PRIMARY KEY (device_id, ts, seq)
                ) PARTITION BY RANGE (ts);

                DO $$
                DECLARE day date;
                BEGIN
                    FOR day IN SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM telemetry_points LOOP
                        EXECUTE format(
                            'CREATE TABLE %I PARTITION OF telemetry FOR VALUES FROM (%L) TO (%L)',
                            'telemetry_p' || to_char(day, 'YYYYMMDD'),
                            day::text || 'T00:00:00Z', (day + 1)::text || 'T00:00:00Z');
                    END LOOP;
                END $$;

                INSERT INTO telemetry (device_id, seq, ts, metric_names, metric_values)
                SELECT device_id, seq, ts, array_agg(metric ORDER BY metric), array_agg(value ORDER BY metric)
                FROM telemetry_points GROUP BY device_id, seq, ts;

                DROP TABLE telemetry_points;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE telemetry RENAME TO telemetry_readings;
                ALTER TABLE telemetry_readings RENAME CONSTRAINT pk_telemetry TO pk_telemetry_readings;
                DO $$
                DECLARE part record;
                BEGIN
                    FOR part IN
                        SELECT child.relname FROM pg_inherits
                        JOIN pg_class child ON child.oid = pg_inherits.inhrelid
                        JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
                        WHERE parent.relname = 'telemetry_readings'
                    LOOP
                        EXECUTE format('ALTER TABLE %I RENAME TO %I', part.relname, 'old_' || part.relname);
                    END LOOP;
                END $$;

                CREATE TABLE telemetry (
                    device_id uuid NOT NULL,
                    seq bigint NOT NULL,
                    ts timestamptz NOT NULL,
                    metric text NOT NULL,
                    value double precision NOT NULL,
                    CONSTRAINT pk_telemetry PRIMARY KEY (device_id, metric, ts, seq)
                ) PARTITION BY RANGE (ts);

                DO $$
                DECLARE day date;
                BEGIN
                    FOR day IN SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM telemetry_readings LOOP
                        EXECUTE format(
                            'CREATE TABLE %I PARTITION OF telemetry FOR VALUES FROM (%L) TO (%L)',
                            'telemetry_p' || to_char(day, 'YYYYMMDD'),
                            day::text || 'T00:00:00Z', (day + 1)::text || 'T00:00:00Z');
                    END LOOP;
                END $$;

                INSERT INTO telemetry (device_id, seq, ts, metric, value)
                SELECT r.device_id, r.seq, r.ts, m.metric, m.value
                FROM telemetry_readings r, unnest(r.metric_names, r.metric_values) AS m(metric, value);

                DROP TABLE telemetry_readings;
                """);
        }
    }
}
