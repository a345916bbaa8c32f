using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Contracts;

namespace Fleet.Cli.Connection;

/// <summary>One answer of the API: its JSON text as sent (for <c>--json</c>) and the same read into a contract type.</summary>
public sealed record ApiAnswer<T>(string Json, T Value);

/// <summary>The operator API over HTTP with the bearer token; a refusal becomes an <see cref="ApiRefusalException"/> naming the problem.</summary>
public sealed class FleetApiClient(HttpClient http) : IDisposable
{
    /// <summary>How long a request waits for its answer; an upload gets longer (<see cref="UploadTimeout"/>).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The slowest upload that is not given up: a 64 MB artefact may take 17 minutes at this rate.</summary>
    public const int SlowestUploadBytesPerSecond = 64 * 1024;

    public static FleetApiClient Create(CliContext context, Uri url, string token)
    {
        // Each request sets its own deadline: one for the whole client would cut a large upload on a slow link short.
        var http = new HttpClient(context.CreateHandler(), disposeHandler: true) { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, token);
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("fleet-cli", "0.1"));
        return new FleetApiClient(http);
    }

    public Task<ApiAnswer<T>> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), RequestTimeout, cancellationToken);

    public Task<ApiAnswer<T>> PostJsonAsync<TBody, T>(string path, TBody body, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: JsonSerializerOptions.Web) }, RequestTimeout, cancellationToken);

    public Task<ApiAnswer<T>> PutJsonAsync<TBody, T>(string path, TBody body, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body, options: JsonSerializerOptions.Web) }, RequestTimeout, cancellationToken);

    public Task<ApiAnswer<T>> PostAsync<T>(string path, HttpContent content, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, RequestTimeout, cancellationToken);

    /// <summary>Posts <paramref name="bytes"/> of upload, given as long as they take at <see cref="SlowestUploadBytesPerSecond"/>.</summary>
    public Task<ApiAnswer<T>> UploadAsync<T>(string path, HttpContent content, long bytes, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, UploadTimeout(bytes), cancellationToken);

    public static TimeSpan UploadTimeout(long bytes) => RequestTimeout + TimeSpan.FromSeconds((double)bytes / SlowestUploadBytesPerSecond);

    /// <summary>A request answered with no body (204), such as a <c>DELETE</c>.</summary>
    public async Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        await SendForTextAsync(new HttpRequestMessage(HttpMethod.Delete, path), RequestTimeout, cancellationToken);

    private async Task<ApiAnswer<T>> SendAsync<T>(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (method, uri) = (request.Method, request.RequestUri);
        var text = await SendForTextAsync(request, timeout, cancellationToken);
        try
        {
            var value = JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Web)
                ?? throw new ApiRefusalException($"{method} {uri}: the API answered null.");
            return new ApiAnswer<T>(text, value);
        }
        catch (JsonException exception)
        {
            throw new ApiRefusalException($"{method} {uri}: not the expected answer ({exception.Message}).");
        }
    }

    private async Task<string> SendForTextAsync(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, deadline.Token);
            }
            catch (HttpRequestException exception)
            {
                throw new ApiRefusalException($"Cannot reach {http.BaseAddress}: {exception.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ApiRefusalException($"{http.BaseAddress} did not answer within {timeout.TotalSeconds:0} s.");
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                return response.IsSuccessStatusCode
                    ? text
                    : throw new ApiRefusalException(ProblemLine.Of(request.Method, request.RequestUri, (int)response.StatusCode, response.ReasonPhrase, text));
            }
        }
    }

    public void Dispose() => http.Dispose();
}

/// <summary>A problem details answer on one line: status, title, detail, and each field's errors.</summary>
public static class ProblemLine
{
    public static string Of(HttpMethod method, Uri? uri, int status, string? reason, string body)
    {
        var path = uri is { IsAbsoluteUri: true } ? uri.PathAndQuery : uri?.OriginalString;
        var line = new StringBuilder($"{method} {path}: {status} {reason}");
        try
        {
            using var problem = JsonDocument.Parse(body);
            var root = problem.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (Text(root, "title") is { } title)
                {
                    line.Append(": ").Append(title);
                }

                if (Text(root, "detail") is { } detail)
                {
                    line.Append(": ").Append(detail);
                }

                if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                {
                    var fields = errors.EnumerateObject().Select(field => $"{field.Name}: {string.Join(" ", Messages(field.Value))}");
                    line.Append(" (").Append(string.Join("; ", fields)).Append(')');
                }
            }
        }
        catch (JsonException)
        {
            if (body.Length > 0)
            {
                line.Append(": ").Append(body.Length > 200 ? body[..200] : body);
            }
        }

        return line.ToString().ReplaceLineEndings(" ");
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<string?> Messages(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(message => message.ToString()) : [value.ToString()];
}
