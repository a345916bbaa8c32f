using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Api.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class RolloutDeviceFailureReason : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "failure_reason",
                table: "rollout_devices",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            // Devices failed before this column existed keep their reason as long as they were not rolled back since.
            migrationBuilder.Sql("UPDATE rollout_devices SET failure_reason = coalesce(reason, 'failed') WHERE state = 'failed'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "failure_reason",
                table: "rollout_devices");
        }
    }
}
