using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Api.Infrastructure.Migrations
{
    /// <summary>
    /// A device's stored seqs move from telemetry_seen (one row and one index entry per reading) into its
    /// telemetry_sequences row as one int8multirange (<c>seen</c>): admitting a reading becomes a containment test
    /// on one row per device, which is what the ingest writer spent most of its merge on. Seqs already stored are
    /// carried over.
    /// </summary>
    public partial class TelemetrySeenRanges : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE telemetry_sequences ADD COLUMN seen int8multirange NOT NULL DEFAULT '{}';
                UPDATE telemetry_sequences s SET seen = r.seen
                FROM (SELECT device_id, range_agg(int8range(seq, seq, '[]')) AS seen FROM telemetry_seen GROUP BY device_id) r
                WHERE r.device_id = s.device_id;
                DROP TABLE telemetry_seen;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE telemetry_seen (
                    device_id uuid NOT NULL,
                    seq bigint NOT NULL,
                    ts timestamptz NOT NULL,
                    CONSTRAINT pk_telemetry_seen PRIMARY KEY (device_id, seq)
                );
                CREATE INDEX ix_telemetry_seen_ts ON telemetry_seen USING brin (ts);
                INSERT INTO telemetry_seen (device_id, seq, ts)
                SELECT DISTINCT ON (device_id, seq) device_id, seq, ts FROM telemetry ORDER BY device_id, seq, ts;
                ALTER TABLE telemetry_sequences DROP COLUMN seen;
                """);
        }
    }
}
