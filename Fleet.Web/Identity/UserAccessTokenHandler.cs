using System.Net.Http.Headers;

namespace Fleet.Web.Identity;

/// <summary>
/// Adds the signed-in operator's access token to the UI's calls to the API. The HttpClient factory builds handlers in its
/// own DI scope, so the operator's session comes from the caller's scope that <see cref="Services.FleetApiClient"/> names.
/// </summary>
public sealed class UserAccessTokenHandler(CircuitServicesAccessor caller) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var services = caller.Services ?? throw OperatorSession.Ended();
        var token = await services.GetRequiredService<OperatorSession>().GetAccessTokenAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
