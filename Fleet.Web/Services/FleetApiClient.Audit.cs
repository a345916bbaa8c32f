using Fleet.Contracts;

namespace Fleet.Web.Services;

public sealed partial class FleetApiClient
{
    /// <summary>Who did what to which target, newest first; <c>controller</c> is the rollout controller's own moves.</summary>
    public async Task<PagedList<AuditEntryResponse>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken) =>
        await GetAsync<PagedList<AuditEntryResponse>>(query.ToPathAndQuery(), cancellationToken) ?? new PagedList<AuditEntryResponse>([], 0);
}
