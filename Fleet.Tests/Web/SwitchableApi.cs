using System.Net.Http.Headers;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Web;

/// <summary>
/// The in-process API behind a switch: while <see cref="Away"/> every call fails to connect, as when the API process is
/// down, and the calls that got through are counted by path.
/// </summary>
public sealed class SwitchableApi(ApiFactory api) : DelegatingHandler(api.Server.CreateHandler())
{
    private readonly Dictionary<string, int> _calls = [];

    private volatile bool _away;

    public bool Away
    {
        get => _away;
        set => _away = value;
    }

    /// <summary>An HttpClient through the switch carrying the operator token, as the web's handler adds it.</summary>
    public HttpClient Client()
    {
        var http = new HttpClient(this, disposeHandler: false) { BaseAddress = api.Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        return http;
    }

    /// <summary>How many calls to <paramref name="path"/> (without the query) reached the API.</summary>
    public int Calls(string path)
    {
        lock (_calls)
        {
            return _calls.GetValueOrDefault(path);
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Away)
        {
            throw new HttpRequestException("Connection refused (the test took the API away)");
        }

        lock (_calls)
        {
            _calls[request.RequestUri!.AbsolutePath] = _calls.GetValueOrDefault(request.RequestUri!.AbsolutePath) + 1;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
