using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Fleet.Web.Services;

public sealed partial class FleetApiClient
{
    /// <summary>Sends an operator's change: a 4xx problem is an answer (<see cref="ApiResult{T}"/>); no answer throws <see cref="FleetApiException"/>.</summary>
    private async Task<ApiResult<T>> ChangeAsync<T>(Func<CancellationToken, Task<HttpResponseMessage>> send, string route, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(() => send(cancellationToken), route);
        if (ApiProblem.IsAnswer(response.StatusCode))
        {
            return new ApiResult<T>(null, ApiProblem.From(response.StatusCode, await ReadProblemAsync(response, cancellationToken)));
        }

        await EnsureSuccessAsync(response, route, cancellationToken);
        return new ApiResult<T>(await ReadAsync<T>(response, route, cancellationToken)
            ?? throw new FleetApiException($"The API answered {route} with nothing."), null);
    }

    private Task<ApiResult<T>> PostJsonAsync<TBody, T>(string route, TBody body, CancellationToken cancellationToken)
        where T : class =>
        ChangeAsync<T>(token => http.PostAsJsonAsync(route, body, JsonSerializerOptions.Web, token), route, cancellationToken);

    /// <summary>DELETE: null when it is gone (or was already), else the API's refusal.</summary>
    private async Task<ApiProblem?> DeleteAsync(string route, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => http.DeleteAsync(route, cancellationToken), route);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.NoContent)
        {
            return null;
        }

        if (ApiProblem.IsAnswer(response.StatusCode))
        {
            return ApiProblem.From(response.StatusCode, await ReadProblemAsync(response, cancellationToken));
        }

        await EnsureSuccessAsync(response, route, cancellationToken);
        return null;
    }
}
