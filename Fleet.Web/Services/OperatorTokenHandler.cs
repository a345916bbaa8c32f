using System.ComponentModel.DataAnnotations;
using System.Net.Http.Headers;
using Fleet.Contracts;
using Microsoft.Extensions.Options;

namespace Fleet.Web.Services;

/// <summary>The operator token the UI presents to the API (<c>Fleet:OperatorToken</c>).</summary>
public sealed class OperatorOptions
{
    [Required(ErrorMessage = $"{FleetConfigKeys.OperatorToken} is not set; the AppHost passes it as Fleet__OperatorToken.")]
    public string OperatorToken { get; set; } = "";
}

/// <summary>Adds <c>Authorization: Bearer &lt;operator token&gt;</c> to every call the UI makes to the API.</summary>
public sealed class OperatorTokenHandler(IOptions<OperatorOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, options.Value.OperatorToken);
        return base.SendAsync(request, cancellationToken);
    }
}
