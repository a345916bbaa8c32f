using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;

namespace Fleet.Web.Services;

public sealed partial class FleetApiClient
{
    /// <summary>Who the API sees behind the UI's calls: the signed-in user and role.</summary>
    public Task<MeResponse?> GetMeAsync(CancellationToken cancellationToken) =>
        GetAsync<MeResponse>(IdentityHttp.MeRoute, cancellationToken);

    public async Task<IReadOnlyList<PersonalTokenSummary>> ListPersonalTokensAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<PersonalTokenSummary>>(IdentityHttp.TokensRoute, cancellationToken) ?? [];

    /// <summary>A new personal access token; its value is in the answer this once.</summary>
    public Task<ApiResult<PersonalTokenCreated>> CreatePersonalTokenAsync(PersonalTokenRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<PersonalTokenRequest, PersonalTokenCreated>(IdentityHttp.TokensRoute, request, cancellationToken);

    /// <summary>Null when the token is revoked (or was already gone), else the API's refusal.</summary>
    public Task<ApiProblem?> RevokePersonalTokenAsync(Guid id, CancellationToken cancellationToken) =>
        DeleteAsync(IdentityHttp.Token(id), cancellationToken);

    public async Task<IReadOnlyList<UserSummary>> ListUsersAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<UserSummary>>(IdentityHttp.UsersRoute, cancellationToken) ?? [];

    public Task<ApiResult<UserSummary>> CreateUserAsync(UserCreateRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<UserCreateRequest, UserSummary>(IdentityHttp.UsersRoute, request, cancellationToken);

    /// <summary>Changes a user's role or disables (enables) the account.</summary>
    public Task<ApiResult<UserSummary>> UpdateUserAsync(Guid id, UserUpdateRequest request, CancellationToken cancellationToken)
    {
        var route = IdentityHttp.User(id);
        return ChangeAsync<UserSummary>(token => http.PatchAsJsonAsync(route, request, JsonSerializerOptions.Web, token), route, cancellationToken);
    }
}
