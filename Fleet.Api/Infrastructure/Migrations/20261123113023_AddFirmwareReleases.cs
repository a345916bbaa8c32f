using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Fleet.Api.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class AddFirmwareReleases : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "firmware_releases",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    version_major = table.Column<int>(type: "integer", nullable: false),
                    version_minor = table.Column<int>(type: "integer", nullable: false),
                    version_patch = table.Column<int>(type: "integer", nullable: false),
                    version_prerelease = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    device_types = table.Column<List<string>>(type: "text[]", nullable: false),
                    hardware_revisions = table.Column<List<string>>(type: "text[]", nullable: false),
                    minimum_current_version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    notes = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    sha256 = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_firmware_releases", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "firmware_artefacts",
                columns: table => new
                {
                    release_id = table.Column<Guid>(type: "uuid", nullable: false),
                    content = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_firmware_artefacts", x => x.release_id);
                    table.ForeignKey(
                        name: "fk_firmware_artefacts_firmware_releases_release_id",
                        column: x => x.release_id,
                        principalTable: "firmware_releases",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Out of line and uncompressed: substring() for a Range request then reads only the chunks it needs.
            migrationBuilder.Sql("ALTER TABLE firmware_artefacts ALTER COLUMN content SET STORAGE EXTERNAL;");

            migrationBuilder.CreateIndex(
                name: "ix_firmware_releases_created_at",
                table: "firmware_releases",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_firmware_releases_version",
                table: "firmware_releases",
                column: "version",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "firmware_artefacts");

            migrationBuilder.DropTable(
                name: "firmware_releases");
        }
    }
}
