using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Api.Infrastructure.Migrations
{
    /// <summary>
    /// Telemetry bypasses EF Core (bulk writes use COPY), so the tables are plain SQL: one row per metric point,
    /// partitioned by day on the reading's timestamp (partitions are created and dropped by
    /// TelemetryPartitions). A key on a partitioned table must include ts, so (device, seq) is made unique
    /// in telemetry_seen, one row per reading; telemetry_sequences counts each device's readings for gaps.
    /// </summary>
    public partial class AddTelemetry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE telemetry (
                    device_id uuid NOT NULL,
                    seq bigint NOT NULL,
                    ts timestamptz NOT NULL,
                    metric text NOT NULL,
                    value double precision NOT NULL,
                    CONSTRAINT pk_telemetry PRIMARY KEY (device_id, metric, ts, seq)
                ) PARTITION BY RANGE (ts);

                CREATE TABLE telemetry_seen (
                    device_id uuid NOT NULL,
                    seq bigint NOT NULL,
                    ts timestamptz NOT NULL,
                    CONSTRAINT pk_telemetry_seen PRIMARY KEY (device_id, seq)
                );
                CREATE INDEX ix_telemetry_seen_ts ON telemetry_seen USING brin (ts);

                CREATE TABLE telemetry_sequences (
                    device_id uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
                    first_seq bigint NOT NULL,
                    last_seq bigint NOT NULL,
                    received bigint NOT NULL
                );

                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TABLE IF EXISTS telemetry_sequences;
                DROP TABLE IF EXISTS telemetry_seen;
                DROP TABLE IF EXISTS telemetry;

                """);
        }
    }
}
