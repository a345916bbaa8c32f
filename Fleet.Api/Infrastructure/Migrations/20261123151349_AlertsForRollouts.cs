using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Api.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class AlertsForRollouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<Guid>(
                name: "device_id",
                table: "alerts",
                type: "uuid",
                nullable: true,
                oldClrType: typeof(Guid),
                oldType: "uuid");

            migrationBuilder.AddColumn<Guid>(
                name: "rollout_id",
                table: "alerts",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_alerts_rollout_id",
                table: "alerts",
                column: "rollout_id");

            migrationBuilder.CreateIndex(
                name: "ix_alerts_rule_id_rollout_id",
                table: "alerts",
                columns: new[] { "rule_id", "rollout_id" },
                unique: true,
                filter: "state <> 'resolved' AND rollout_id IS NOT NULL");

            migrationBuilder.AddCheckConstraint(
                name: "ck_alerts_subject",
                table: "alerts",
                sql: "(device_id IS NULL) <> (rollout_id IS NULL)");

            migrationBuilder.AddForeignKey(
                name: "fk_alerts_rollouts_rollout_id",
                table: "alerts",
                column: "rollout_id",
                principalTable: "rollouts",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_alerts_rollouts_rollout_id",
                table: "alerts");

            migrationBuilder.DropIndex(
                name: "ix_alerts_rollout_id",
                table: "alerts");

            migrationBuilder.DropIndex(
                name: "ix_alerts_rule_id_rollout_id",
                table: "alerts");

            migrationBuilder.DropCheckConstraint(
                name: "ck_alerts_subject",
                table: "alerts");

            migrationBuilder.DropColumn(
                name: "rollout_id",
                table: "alerts");

            migrationBuilder.AlterColumn<Guid>(
                name: "device_id",
                table: "alerts",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"),
                oldClrType: typeof(Guid),
                oldType: "uuid",
                oldNullable: true);
        }
    }
}
