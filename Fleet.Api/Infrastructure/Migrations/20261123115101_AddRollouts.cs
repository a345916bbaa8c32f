using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Fleet.Api.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class AddRollouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_entries",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    actor = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    target_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    target_id = table.Column<Guid>(type: "uuid", nullable: false),
                    reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_entries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rollouts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    release_id = table.Column<Guid>(type: "uuid", nullable: false),
                    target = table.Column<string>(type: "jsonb", nullable: false),
                    plan = table.Column<string>(type: "jsonb", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    phase_index = table.Column<int>(type: "integer", nullable: false),
                    green_first = table.Column<bool>(type: "boolean", nullable: false),
                    promoted = table.Column<bool>(type: "boolean", nullable: false),
                    matching = table.Column<int>(type: "integer", nullable: false),
                    compatible = table.Column<int>(type: "integer", nullable: false),
                    created_by = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    phase_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rollouts", x => x.id);
                    table.ForeignKey(
                        name: "fk_rollouts_firmware_releases_release_id",
                        column: x => x.release_id,
                        principalTable: "firmware_releases",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "gate_evaluations",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    rollout_id = table.Column<Guid>(type: "uuid", nullable: false),
                    phase_index = table.Column<int>(type: "integer", nullable: false),
                    phase_percent = table.Column<double>(type: "double precision", nullable: false),
                    evaluated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    verdict = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    reasons = table.Column<List<string>>(type: "text[]", nullable: false),
                    soak_elapsed = table.Column<TimeSpan>(type: "interval", nullable: false),
                    minimum_soak = table.Column<TimeSpan>(type: "interval", nullable: false),
                    cohort = table.Column<int>(type: "integer", nullable: false),
                    healthy = table.Column<int>(type: "integer", nullable: false),
                    failed = table.Column<int>(type: "integer", nullable: false),
                    in_flight = table.Column<int>(type: "integer", nullable: false),
                    not_yet_enrolled = table.Column<int>(type: "integer", nullable: false),
                    success_ratio = table.Column<double>(type: "double precision", nullable: false),
                    success_threshold = table.Column<double>(type: "double precision", nullable: false),
                    failure_ratio = table.Column<double>(type: "double precision", nullable: false),
                    max_failure_ratio = table.Column<double>(type: "double precision", nullable: false),
                    updated_devices = table.Column<int>(type: "integer", nullable: false),
                    updated_offline = table.Column<int>(type: "integer", nullable: false),
                    not_updated_devices = table.Column<int>(type: "integer", nullable: false),
                    not_updated_offline = table.Column<int>(type: "integer", nullable: false),
                    test = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    statistic = table.Column<double>(type: "double precision", nullable: true),
                    p_value = table.Column<double>(type: "double precision", nullable: true),
                    alpha = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_gate_evaluations", x => x.id);
                    table.ForeignKey(
                        name: "fk_gate_evaluations_rollouts_rollout_id",
                        column: x => x.rollout_id,
                        principalTable: "rollouts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "rollout_devices",
                columns: table => new
                {
                    rollout_id = table.Column<Guid>(type: "uuid", nullable: false),
                    device_id = table.Column<Guid>(type: "uuid", nullable: false),
                    bucket = table.Column<int>(type: "integer", nullable: false),
                    region = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    environment = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    rollback_requested = table.Column<bool>(type: "boolean", nullable: false),
                    enrolled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    state_changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rollout_devices", x => new { x.rollout_id, x.device_id });
                    table.ForeignKey(
                        name: "fk_rollout_devices_devices_device_id",
                        column: x => x.device_id,
                        principalTable: "devices",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_rollout_devices_rollouts_rollout_id",
                        column: x => x.rollout_id,
                        principalTable: "rollouts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_at",
                table: "audit_entries",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_target_id_at",
                table: "audit_entries",
                columns: new[] { "target_id", "at" });

            migrationBuilder.CreateIndex(
                name: "ix_gate_evaluations_rollout_id_id",
                table: "gate_evaluations",
                columns: new[] { "rollout_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_rollout_devices_device_id",
                table: "rollout_devices",
                column: "device_id");

            migrationBuilder.CreateIndex(
                name: "ix_rollout_devices_rollout_id_state_bucket",
                table: "rollout_devices",
                columns: new[] { "rollout_id", "state", "bucket" });

            migrationBuilder.CreateIndex(
                name: "ix_rollout_devices_rollout_id_state_state_changed_at",
                table: "rollout_devices",
                columns: new[] { "rollout_id", "state", "state_changed_at" });

            migrationBuilder.CreateIndex(
                name: "ix_rollouts_created_at",
                table: "rollouts",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_rollouts_release_id",
                table: "rollouts",
                column: "release_id");

            migrationBuilder.CreateIndex(
                name: "ix_rollouts_state",
                table: "rollouts",
                column: "state");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_entries");

            migrationBuilder.DropTable(
                name: "gate_evaluations");

            migrationBuilder.DropTable(
                name: "rollout_devices");

            migrationBuilder.DropTable(
                name: "rollouts");
        }
    }
}
