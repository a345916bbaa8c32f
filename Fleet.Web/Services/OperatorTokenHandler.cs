using System.ComponentModel.DataAnnotations;
using System.Net.Http.Headers;
using Fleet.Contracts;
using Microsoft.Extensions.Options;

namespace Fleet.Web.Services;

/// <summary>The operator token the UI presents to the API (<c>Fleet:OperatorToken</c>).</summary>
public sealed class OperatorOptions
{
    public const string Section = "Fleet";

    [Required(ErrorMessage = $"{FleetConfigKeys.OperatorToken} is not set; the AppHost passes it as Fleet__OperatorToken.")]
    public string OperatorToken { get; set; } = "";

    public const string OperatorNameKey = "Fleet:OperatorName";

    /// <summary>Who the audit log names for actions taken in this UI (sent as <c>X-Operator</c>); the token names no user.</summary>
    [Required, StringLength(64, MinimumLength = 1), RegularExpression(@"^[\x20-\x7E]+$", ErrorMessage = "Fleet:OperatorName must be printable ASCII (it travels as an HTTP header).")]
    public string OperatorName { get; set; } = "operator (web)";
}

/// <summary>Adds <c>Authorization: Bearer &lt;operator token&gt;</c> and <c>X-Operator</c> to every call the UI makes to the API.</summary>
public sealed class OperatorTokenHandler(IOptions<OperatorOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, options.Value.OperatorToken);
        return base.SendAsync(request, cancellationToken);
    }
}
