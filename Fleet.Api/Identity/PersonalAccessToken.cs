using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Identity;

/// <summary>
/// A token a user made for scripts and CI. Only the SHA-256 of the token is stored; it acts as its owner with
/// <see cref="Role"/> at most (and never above the owner's role of the moment).
/// </summary>
public sealed class PersonalAccessToken
{
    public const int NameLength = 100;

    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public FleetUser? User { get; set; }

    public required string Name { get; set; }

    public required string Role { get; set; }

    public required byte[] TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class PersonalAccessTokenConfiguration : IEntityTypeConfiguration<PersonalAccessToken>
{
    public void Configure(EntityTypeBuilder<PersonalAccessToken> token)
    {
        token.ToTable("personal_access_tokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.Name).HasMaxLength(PersonalAccessToken.NameLength);
        token.Property(t => t.Role).HasMaxLength(16);
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.HasIndex(t => t.UserId);
        token.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
