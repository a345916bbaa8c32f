using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fleet.Tests.Web;

/// <summary>An API that answers from a table of routes, for pages whose endpoints the in-process API does not have.</summary>
public sealed class StubApi : HttpMessageHandler
{
    private readonly Dictionary<(HttpMethod, string), Func<HttpRequestMessage, HttpResponseMessage>> _routes = [];

    /// <summary>Every request, as the UI sent it: method, path with query, and the body if any.</summary>
    public List<string> Requests { get; } = [];

    public StubApi On(HttpMethod method, string path, Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        _routes[(method, path)] = answer;
        return this;
    }

    public StubApi On<T>(HttpMethod method, string path, HttpStatusCode status, Func<T> body) =>
        On(method, path, _ => new HttpResponseMessage(status) { Content = JsonContent.Create(body(), options: JsonSerializerOptions.Web) });

    public HttpClient Client() => new(this) { BaseAddress = new Uri("http://api") };

    public static HttpResponseMessage Problem(HttpStatusCode status, string detail) =>
        new(status) { Content = JsonContent.Create(new { title = status.ToString(), status = (int)status, detail }, mediaType: new("application/problem+json")) };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : " " + await request.Content.ReadAsStringAsync(cancellationToken);
        lock (Requests)
        {
            Requests.Add($"{request.Method} {request.RequestUri!.PathAndQuery}{body}");
        }

        return _routes.TryGetValue((request.Method, request.RequestUri!.AbsolutePath), out var answer)
            ? answer(request)
            : new HttpResponseMessage(HttpStatusCode.NotFound);
    }
}
