using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>One API for the CLI tests, with a personal access token for a viewer, an operator and an admin.</summary>
public sealed class CliFixture(BackingServers servers) : IAsyncLifetime
{
    public ApiFactory Api { get; private set; } = null!;

    public string ViewerToken { get; private set; } = "";

    public string OperatorToken { get; private set; } = "";

    public string AdminToken { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var cancellation = TestContext.Current.CancellationToken;
        Api = await ApiFactory.StartAsync(servers, cancellation);
        ViewerToken = await CliRunner.TokenAsync(Api, "cli-viewer", FleetRoles.Viewer, cancellation);
        OperatorToken = await CliRunner.TokenAsync(Api, "cli-operator", FleetRoles.Operator, cancellation);
        AdminToken = await CliRunner.TokenAsync(Api, "cli-admin", FleetRoles.Admin, cancellation);
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}
